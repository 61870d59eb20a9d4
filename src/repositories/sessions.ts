import { Op } from 'sequelize';
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
