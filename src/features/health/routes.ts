import Router from '@koa/router';
import type { createHealthController } from './controller';
import { metricsAccess } from '../../http/metrics-access';

/** /healthz, /readyz, /metrics (loopback or METRICS_TOKEN only). */
export function healthRoutes(
  health: ReturnType<typeof createHealthController>,
  options: { metricsToken: string | null },
): Router {
  return new Router()
    .get('/healthz', health.healthz)
    .get('/readyz', health.readyz)
    .get('/metrics', metricsAccess({ token: options.metricsToken }), health.metrics);
}
