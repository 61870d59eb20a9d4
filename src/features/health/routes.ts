import Router from '@koa/router';
import { createHealthController } from './controller';
import type { AppDeps } from '../../deps';
import { metricsAccess } from '../../http/metrics-access';

/** /healthz, /readyz, /metrics (loopback or METRICS_TOKEN only). */
export function healthRoutes(deps: AppDeps): Router {
  const health = createHealthController(deps);
  return new Router()
    .get('/healthz', health.healthz)
    .get('/readyz', health.readyz)
    .get('/metrics', metricsAccess({ token: deps.config.metricsToken }), health.metrics);
}
