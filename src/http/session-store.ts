import { Op } from 'sequelize';
import type { Logger } from '../logger';
import type { SessionModel } from '../models/sql/session';

/** The store interface koa-session expects for server-side sessions. */
export interface SessionStore {
  get(key: string, maxAge?: number | 'session'): Promise<Record<string, unknown> | null>;
  set(key: string, session: Record<string, unknown>, maxAge?: number | 'session'): Promise<void>;
  destroy(key: string): Promise<void>;
}

const SESSION_COOKIE_LIFETIME_MS = 86_400_000;

/** Sessions in the SQL database (used when Redis is not configured), so they survive restarts. */
export function createSqlSessionStore(
  Session: SessionModel,
): SessionStore & { pruneExpired(): Promise<number> } {
  return {
    async get(key) {
      const row = await Session.findByPk(key);
      if (!row) return null;
      if (row.expiresAt.getTime() <= Date.now()) {
        await row.destroy();
        return null;
      }
      return JSON.parse(row.data) as Record<string, unknown>;
    },
    async set(key, session, maxAge) {
      const ttl = typeof maxAge === 'number' ? maxAge : SESSION_COOKIE_LIFETIME_MS;
      await Session.upsert({
        sid: key,
        data: JSON.stringify(session),
        expiresAt: new Date(Date.now() + ttl),
      });
    },
    async destroy(key) {
      await Session.destroy({ where: { sid: key } });
    },
    async pruneExpired() {
      return Session.destroy({ where: { expiresAt: { [Op.lte]: new Date() } } });
    },
  };
}

const PRUNE_INTERVAL_MS = 3_600_000;

/** Deletes expired SQL sessions now and every hour (guests' form sessions add up); returns the stop function. */
export function scheduleSessionPruning(
  store: { pruneExpired(): Promise<number> },
  logger: Logger,
  intervalMs = PRUNE_INTERVAL_MS,
): () => void {
  const prune = () =>
    store.pruneExpired().then(
      (count) => count && logger.info({ count }, 'expired sessions deleted'),
      (err: Error) => logger.warn({ err: { message: err.message } }, 'session pruning failed'),
    );
  void prune();
  // prune logs its own failure: nothing is left for the timer to handle.
  const timer = setInterval(() => void prune(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
