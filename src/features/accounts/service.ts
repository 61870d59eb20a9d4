import { UniqueConstraintError, type Sequelize } from 'sequelize';
import { ValidationError } from '../../errors';
import { newId } from '../../lib/ids';
import {
  hashPassword,
  needsRehash,
  verifyPassword,
  type PasswordHashParams,
} from '../../lib/password';
import type { User, UserRepository } from './users-repository';

const USERNAME_RULE = /^[a-z0-9_.-]{3,32}$/;
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

export const accountMessages = {
  usernameInvalid: 'Use 3 to 32 characters: letters a-z, digits, and _ . -',
  usernameTaken: 'That username is taken.',
  passwordShort: `Use at least ${MIN_PASSWORD_LENGTH} characters.`,
  passwordLong: `Use at most ${MAX_PASSWORD_LENGTH} characters.`,
  confirmMismatch: 'The passwords do not match.',
  required: 'Required.',
};

interface Registration {
  username: string;
  password: string;
  confirm?: string;
}

/** The rules of accounts: registration, password checks, and invalidating old sessions and tokens. */
export interface AccountService {
  register(input: Registration): Promise<User>;
  /** The user if the password is right, otherwise null (same work either way). */
  authenticate(username: string, password: string): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  findOrCreateByOpenid(openid: string): Promise<User>;
  /** Sets a new password and bumps the token version: earlier tokens and every session die; returns the user. */
  changePassword(userId: string, password: string): Promise<User>;
  /** Bumps the token version: earlier tokens and every session die. */
  revokeTokens(userId: string): Promise<void>;
}

/** Usernames compare case-insensitively: they are stored lower-case. */
function normalizeUsername(raw: unknown): string {
  return typeof raw === 'string' ? raw.trim().toLowerCase() : '';
}

/** What is wrong with a new password, or null. */
export function passwordProblem(password: unknown): string | null {
  const text = typeof password === 'string' ? password : '';
  if (text.length < MIN_PASSWORD_LENGTH) return accountMessages.passwordShort;
  if (text.length > MAX_PASSWORD_LENGTH) return accountMessages.passwordLong;
  return null;
}

function validateRegistration(input: Registration): { username: string } {
  const errors: Record<string, string> = {};
  const username = normalizeUsername(input.username);
  if (!username) errors.username = accountMessages.required;
  else if (!USERNAME_RULE.test(username)) errors.username = accountMessages.usernameInvalid;
  const password = typeof input.password === 'string' ? input.password : '';
  const problem = passwordProblem(password);
  if (problem) errors.password = problem;
  if (input.confirm !== undefined && input.confirm !== password)
    errors.confirm = accountMessages.confirmMismatch;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { username };
}

/** Builds the account service over the user repository. */
export function createAccountService(deps: {
  sequelize: Sequelize;
  users: UserRepository;
  hashParams?: PasswordHashParams;
}): AccountService {
  const { users, sequelize } = deps;
  // Spending the same time on unknown usernames keeps sign-in from revealing which accounts exist.
  // Made once, ahead of the first sign-in; made again if hashing was busy (503) that first time.
  let dummy: Promise<string> | null = null;
  const dummyHash = () =>
    (dummy ??= hashPassword('not-a-real-password', deps.hashParams).catch((err: unknown) => {
      dummy = null;
      throw err;
    }));
  dummyHash().catch(() => undefined);

  async function createUser(fields: {
    username: string;
    passwordHash: string | null;
    wechatOpenid?: string;
  }) {
    // On SQLite transactions take turns in one write queue (src/models/sql/sqlite.ts), so concurrent
    // sign-ups and the first-user-is-admin count are serialized.
    return sequelize.transaction(async (transaction) => {
      const role = (await users.count(transaction)) === 0 ? 'admin' : 'user';
      return users.create({ id: newId(), role, ...fields }, transaction);
    });
  }

  return {
    async register(input) {
      const { username } = validateRegistration(input);
      const passwordHash = await hashPassword(input.password, deps.hashParams);
      try {
        return await createUser({ username, passwordHash });
      } catch (err) {
        if (err instanceof UniqueConstraintError)
          throw new ValidationError({ username: accountMessages.usernameTaken });
        throw err;
      }
    },
    async authenticate(username, password) {
      const found = await users.findCredentials(normalizeUsername(username));
      const hash = found?.passwordHash ?? (await dummyHash());
      const ok = await verifyPassword(String(password ?? ''), hash);
      if (!ok || !found?.passwordHash) return null;
      if (needsRehash(found.passwordHash, deps.hashParams)) {
        // The password is known right now, so this is the moment to move it to the current parameters.
        const upgraded = await hashPassword(String(password), deps.hashParams);
        await users.rehashPassword(found.user.id, found.passwordHash, upgraded);
      }
      return found.user;
    },
    findById: (id) => users.findById(id),
    async findOrCreateByOpenid(openid) {
      const existing = await users.findByOpenid(openid);
      if (existing) return existing;
      const username = `wx_${newId()
        .slice(0, 12)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '_')}`;
      try {
        return await createUser({ username, passwordHash: null, wechatOpenid: openid });
      } catch (err) {
        // Two first sign-ins at once: the other request created the user.
        const raced =
          err instanceof UniqueConstraintError ? await users.findByOpenid(openid) : null;
        if (raced) return raced;
        throw err;
      }
    },
    async changePassword(userId, password) {
      const problem = passwordProblem(password);
      if (problem) throw new ValidationError({ password: problem });
      await users.setPassword(userId, await hashPassword(password, deps.hashParams));
      const user = await users.findById(userId);
      if (!user) throw new Error('changePassword: the user is gone');
      return user;
    },
    revokeTokens: (userId) => users.bumpTokenVersion(userId),
  };
}
