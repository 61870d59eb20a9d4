import type { Transaction } from 'sequelize';
import type { UserModel, UserRow } from '../models/sql/user';

/** A user as the rest of the app sees it (never the password hash). */
export interface User {
  id: string;
  username: string;
  role: 'user' | 'admin';
  tokenVersion: number;
  wechatOpenid: string | null;
  createdAt: Date;
}

export interface NewUser {
  id: string;
  username: string;
  passwordHash: string | null;
  wechatOpenid?: string | null;
  role: 'user' | 'admin';
}

/** Persistence of users; returns plain objects. */
export interface UserRepository {
  findById(id: string): Promise<User | null>;
  findByOpenid(openid: string): Promise<User | null>;
  findCredentials(username: string): Promise<{ user: User; passwordHash: string | null } | null>;
  count(transaction?: Transaction): Promise<number>;
  create(user: NewUser, transaction?: Transaction): Promise<User>;
  /** Stores a new password and bumps the token version in one transaction (old tokens and sessions die). */
  setPassword(id: string, passwordHash: string): Promise<void>;
  /** Replaces the hash of the same password (a parameter upgrade): tokens and sessions stay valid. */
  rehashPassword(id: string, oldHash: string, newHash: string): Promise<void>;
  bumpTokenVersion(id: string): Promise<void>;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    tokenVersion: row.tokenVersion,
    wechatOpenid: row.wechatOpenid,
    createdAt: row.createdAt,
  };
}

/** The Sequelize implementation. */
export function createUserRepository(User: UserModel): UserRepository {
  return {
    async findById(id) {
      const row = await User.findByPk(id);
      return row ? toUser(row) : null;
    },
    async findByOpenid(openid) {
      const row = await User.findOne({ where: { wechatOpenid: openid } });
      return row ? toUser(row) : null;
    },
    async findCredentials(username) {
      const row = await User.findOne({ where: { username } });
      return row ? { user: toUser(row), passwordHash: row.passwordHash } : null;
    },
    count: (transaction) => User.count({ transaction }),
    async create(user, transaction) {
      const row = await User.create(
        { ...user, wechatOpenid: user.wechatOpenid ?? null },
        { transaction },
      );
      // Read back what the database kept (MySQL DATETIME drops the milliseconds of createdAt).
      return toUser(await row.reload({ transaction }));
    },
    async setPassword(id, passwordHash) {
      await User.sequelize!.transaction(async (transaction) => {
        await User.update({ passwordHash }, { where: { id }, transaction });
        await User.increment('tokenVersion', { where: { id }, transaction });
      });
    },
    async rehashPassword(id, oldHash, newHash) {
      // Only if unchanged meanwhile: a concurrent password change must win over the upgrade.
      await User.update({ passwordHash: newHash }, { where: { id, passwordHash: oldHash } });
    },
    async bumpTokenVersion(id) {
      await User.increment('tokenVersion', { where: { id } });
    },
  };
}
