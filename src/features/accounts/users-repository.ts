import type { Transaction } from 'sequelize';
import { selectList } from '../../models/sql/columns';
import { selectRows } from '../../models/sql/raw-select';
import { USER_TABLE, type UserModel, type UserRow } from '../../models/sql/user';

/** A user as the rest of the app sees it (never the password hash). */
export interface User {
  id: string;
  username: string;
  role: 'user' | 'admin';
  tokenVersion: number;
  wechatOpenid: string | null;
  createdAt: Date;
}

interface NewUser {
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

/** What a User is read from (never the password hash). */
const USER_COLUMNS = [
  'id',
  'username',
  'role',
  'tokenVersion',
  'wechatOpenid',
  'createdAt',
] as const;

/** A user's columns, from a model instance or a raw query (the date as Date or the driver's string). */
type UserColumns = Omit<Pick<UserRow, (typeof USER_COLUMNS)[number]>, 'role' | 'createdAt'> & {
  role: string;
  createdAt: Date | string;
};

// Every signed-in request and API call looks its user up by id: one constant statement
// (src/models/sql/raw-select.ts), as FileRepository.findById.
const FIND_BY_ID =
  `SELECT ${selectList(USER_TABLE, USER_COLUMNS)} FROM ${USER_TABLE.quotedName}` +
  ` WHERE ${USER_TABLE.quoted.id} = ? LIMIT 1`;

function toUser(row: UserColumns): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role === 'admin' ? 'admin' : 'user',
    tokenVersion: Number(row.tokenVersion),
    wechatOpenid: row.wechatOpenid ?? null,
    createdAt: new Date(row.createdAt),
  };
}

/** The Sequelize implementation. */
export function createUserRepository(User: UserModel): UserRepository {
  return {
    async findById(id) {
      const [row] = await selectRows<UserColumns>(User.sequelize!, FIND_BY_ID, [id]);
      return row ? toUser(row) : null;
    },
    async findByOpenid(openid) {
      const row = await User.findOne({ where: { wechatOpenid: openid } });
      return row ? toUser(row) : null;
    },
    async findCredentials(username) {
      // No stored name holds a NUL (registration's rule), and SQLite would read one as the end of the statement.
      if (username.includes('\0')) return null;
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
