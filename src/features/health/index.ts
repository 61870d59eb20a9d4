import type Router from '@koa/router';
import type { ReadinessCheck } from '../../deps';
import type { Metrics } from '../../metrics';
import { createHealthController } from './controller';
import { healthRoutes } from './routes';

/** Liveness, readiness of each dependency and Prometheus metrics. */
export function createHealthFeature(deps: {
  readiness: ReadinessCheck[];
  metrics: Metrics;
  metricsToken: string | null;
}): { routes(): Router[] } {
  return {
    routes: () => [healthRoutes(createHealthController(deps), { metricsToken: deps.metricsToken })],
  };
}
