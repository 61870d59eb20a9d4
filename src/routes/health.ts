import Router from '@koa/router';
import { createHealthController } from '../controllers/health';
import type { AppDeps } from '../deps';

/** /healthz, /readyz, /metrics. */
export function healthRoutes(deps: AppDeps): Router {
  const health = createHealthController(deps);
  return new Router()
    .get('/healthz', health.healthz)
    .get('/readyz', health.readyz)
    .get('/metrics', health.metrics);
}
