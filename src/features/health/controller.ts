import type { Context } from 'koa';
import type { ReadinessCheck } from '../../deps';
import type { Metrics } from '../../metrics';

const PING_TIMEOUT_MS = 2000;

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([
    promise,
    new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);
}

/** Liveness, readiness (each dependency pinged) and Prometheus metrics. */
export function createHealthController(deps: { readiness: ReadinessCheck[]; metrics: Metrics }) {
  return {
    healthz: (ctx: Context) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
    },
    readyz: async (ctx: Context) => {
      const results = await Promise.all(
        deps.readiness.map(async (check) => {
          try {
            await withTimeout(check.ping(), PING_TIMEOUT_MS);
            return [check.name, 'ok'] as const;
          } catch {
            return [check.name, 'unavailable'] as const;
          }
        }),
      );
      const failing = results.filter(([, state]) => state !== 'ok').map(([name]) => name);
      ctx.set('Cache-Control', 'no-store');
      ctx.status = failing.length ? 503 : 200;
      const details = deps.readiness.flatMap((check) =>
        check.detail ? [[check.name, check.detail()] as const] : [],
      );
      ctx.body = {
        status: failing.length ? 'unavailable' : 'ok',
        checks: Object.fromEntries(results),
        failing,
        ...(details.length ? { details: Object.fromEntries(details) } : {}),
      };
    },
    metrics: async (ctx: Context) => {
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
    },
  };
}
