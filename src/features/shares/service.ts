import { Gone, NotFound, ValidationError } from '../../errors';
import { newId, newToken, isWellFormedId } from '../../lib/ids';
import { hashPassword, verifyPassword, type PasswordHashParams } from '../../lib/password';
import type { FileRecord } from '../files/repository';
import type { ShareRecord, ShareRepository } from './repository';
import type { User } from '../accounts/users-repository';
import type { FileService } from '../files/service';

/** User-visible words of share links. */
const shareMessages = {
  expiresIn: 'Choose an expiry between 1 minute and 365 days, or none.',
  maxDownloads: 'Use a whole number of downloads from 1 to 1000000, or leave it empty.',
  password: 'Use a password of 6 to 200 characters, or leave it empty.',
  gone: {
    expired: 'This share link has expired.',
    exhausted: 'This share link has reached its download limit.',
    revoked: 'This share link was revoked by its owner.',
  },
};

const MAX_EXPIRY_SECONDS = 365 * 86_400;
const MAX_DOWNLOADS = 1_000_000;

/** Whether a link can still be used, and if not, why. */
type ShareState = 'active' | 'expired' | 'exhausted' | 'revoked';

/** What the owner asks for (from a form or JSON; validated here so both edges share the rules). */
interface ShareInput {
  expiresIn?: unknown;
  maxDownloads?: unknown;
  password?: unknown;
}

/** A live share link and the file it serves. */
export interface OpenedShare {
  share: ShareRecord;
  file: FileRecord;
  state: ShareState;
}

/** The rules of share links. */
export interface ShareService {
  /** A new link to a file the owner owns; ValidationError names each bad field. */
  create(owner: User, fileId: string, input: ShareInput): Promise<ShareRecord>;
  /** The file's links with their state, newest first. */
  listForFile(fileId: string): Promise<(ShareRecord & { state: ShareState })[]>;
  /** Revokes a link of the owner's file; NotFound for anyone else. Returns the revoked share. */
  revoke(token: string, owner: User): Promise<ShareRecord>;
  /** The share and its file; NotFound for an unknown token, Gone when expired or revoked. */
  open(token: string): Promise<OpenedShare>;
  /** Throws Gone with the reason's words for a link that is not active. */
  assertActive(share: ShareRecord): void;
  verifyPassword(share: ShareRecord, password: string): Promise<boolean>;
  /** Counts one download (atomically with its file's count); Gone when no download is left. */
  countDownload(share: ShareRecord): Promise<void>;
  stateOf(share: ShareRecord): ShareState;
  /** The API shape: {token, url, expires_at, max_downloads}. */
  toJson(share: ShareRecord, origin: string): object;
  /** Cascade from a deleted file: its links go (wired with files.onDelete by the composition root). */
  removeAllOf(file: FileRecord): Promise<void>;
}

/** Builds the service over the shares repository, the file service and a lookup of file rows by id. */
export function createShareService(deps: {
  shares: ShareRepository;
  files: FileService;
  findFile(id: string): Promise<FileRecord | null>;
  hashParams?: PasswordHashParams;
  now?: () => Date;
}): ShareService {
  const now = deps.now ?? (() => new Date());

  function stateOf(share: ShareRecord): ShareState {
    if (share.revokedAt) return 'revoked';
    if (share.expiresAt && share.expiresAt.getTime() <= now().getTime()) return 'expired';
    if (share.maxDownloads !== null && share.downloadCount >= share.maxDownloads)
      return 'exhausted';
    return 'active';
  }

  const service: ShareService = {
    async create(owner, fileId, input) {
      const file = await deps.files.findOwned(fileId, owner);
      const valid = validate(input);
      return deps.shares.create({
        id: newId(),
        token: newToken(),
        fileId: file.id,
        expiresAt: valid.expiresIn ? new Date(now().getTime() + valid.expiresIn * 1000) : null,
        maxDownloads: valid.maxDownloads,
        passwordHash: valid.password ? await hashPassword(valid.password, deps.hashParams) : null,
      });
    },
    async listForFile(fileId) {
      const shares = await deps.shares.listByFile(fileId);
      return shares.map((share) => ({ ...share, state: stateOf(share) }));
    },
    async revoke(token, owner) {
      const share = isWellFormedId(token) ? await deps.shares.findByToken(token) : null;
      const file = share ? await deps.findFile(share.fileId) : null;
      if (!share || !file || file.ownerId !== owner.id) throw new NotFound();
      await deps.shares.revoke(share.id, now());
      return share;
    },
    async open(token) {
      const share = isWellFormedId(token) ? await deps.shares.findByToken(token) : null;
      const file = share ? await deps.findFile(share.fileId) : null;
      if (!share || !file) throw new NotFound();
      const state = stateOf(share);
      if (state === 'expired' || state === 'revoked') throw new Gone(shareMessages.gone[state]);
      return { share, file, state };
    },
    assertActive(share) {
      const state = stateOf(share);
      if (state !== 'active') throw new Gone(shareMessages.gone[state]);
    },
    async verifyPassword(share, password) {
      return share.passwordHash ? verifyPassword(password, share.passwordHash) : true;
    },
    async countDownload(share) {
      if (await deps.shares.countDownload(share, now())) return;
      const fresh = await deps.shares.findByToken(share.token);
      const state = fresh ? stateOf(fresh) : 'revoked';
      throw new Gone(shareMessages.gone[state === 'active' ? 'exhausted' : state]);
    },
    stateOf,
    toJson(share, origin) {
      return {
        token: share.token,
        url: `${origin}/s/${share.token}`,
        expires_at: share.expiresAt ? share.expiresAt.toISOString() : null,
        max_downloads: share.maxDownloads,
      };
    },
    async removeAllOf(file) {
      await deps.shares.deleteByFile(file.id);
    },
  };
  return service;
}

/** Empty form fields mean "none"; numbers may arrive as strings from forms. */
function optionalInteger(value: unknown): number | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

function validate(input: ShareInput) {
  const errors: Record<string, string> = {};
  const expiresIn = optionalInteger(input.expiresIn);
  if (
    expiresIn === undefined ||
    (expiresIn !== null && (expiresIn < 60 || expiresIn > MAX_EXPIRY_SECONDS))
  )
    errors.expires_in = shareMessages.expiresIn;
  const maxDownloads = optionalInteger(input.maxDownloads);
  if (
    maxDownloads === undefined ||
    (maxDownloads !== null && (maxDownloads < 1 || maxDownloads > MAX_DOWNLOADS))
  )
    errors.max_downloads = shareMessages.maxDownloads;
  const password = input.password === undefined || input.password === null ? '' : input.password;
  if (
    typeof password !== 'string' ||
    (password !== '' && (password.length < 6 || password.length > 200))
  )
    errors.password = shareMessages.password;
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { expiresIn, maxDownloads: maxDownloads ?? null, password: password as string };
}
