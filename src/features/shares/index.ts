import type Router from '@koa/router';
import type { Infrastructure } from '../../deps';
import { createAttemptLimiter } from '../accounts/rate-limit';
import type { ActivityRecorder } from '../activity/events';
import type { FileService } from '../files/service';
import { createApiSharesController, createSharesController } from './controller';
import { createShareRepository } from './repository';
import { sharesRoutes } from './routes';
import { createShareService, type ShareService } from './service';

/** Share links: the service and its routers. */
export interface SharesFeature {
  service: ShareService;
  /** The routers; link creation and downloads are recorded in the activity log. */
  routes(needs: { activity: ActivityRecorder }): Router[];
}

/** Builds the share service over its repository, the file service and the one file repository. */
export function createSharesFeature(
  infra: Infrastructure,
  needs: { files: FileService },
): SharesFeature {
  const { models, storage, metrics } = infra;
  const service = createShareService({
    shares: createShareRepository({
      sequelize: infra.sequelize,
      Share: models.Share,
      File: models.File,
    }),
    files: needs.files,
    findFile: (id) => infra.fileRows.findById(id),
    hashParams: infra.hashParams,
  });
  // Failed share-password attempts, per IP and link (the same budget as sign-in).
  const limiter = createAttemptLimiter({ redis: infra.redis, keyPrefix: 'share-password-fail' });
  return {
    service,
    routes: ({ activity }) =>
      sharesRoutes({
        pages: createSharesController({ storage, metrics, shares: service, limiter, activity }),
        api: createApiSharesController({ shares: service, activity }),
      }),
  };
}
