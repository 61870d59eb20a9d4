import type { Sequelize, Transaction } from 'sequelize';
import { Forbidden, NotFound, PayloadTooLarge } from '../../errors';
import { sanitizeFileName } from '../../lib/file-name';
import { isWellFormedId } from '../../lib/ids';
import { resolveMimeType } from '../../lib/mime-type';
import type { Logger } from '../../logger';
import type { FileList, FileListQuery, FileRecord, FileRepository, NewFile } from './repository';
import type { User } from '../accounts/users-repository';
import type { Storage } from '../../storage/types';
import type { ContentCleanup } from './content-cleanup';
import { fileMessages, validateChanges, type FileChanges } from './rules';

export { fileMessages };

/** A stored upload part, ready to become a file. */
interface Registration {
  id: string;
  owner: User;
  name: string;
  type: string;
  size: number;
  sha256: string;
  storageKey: string;
}

/** The rules of files; the contract other features code against is the first block of methods. */
export interface FileService {
  /** The file if `viewer` may see it (owner, or public); NotFound otherwise (same as missing). */
  findVisible(id: string, viewer: User | null): Promise<FileRecord>;
  /** The file if `owner` owns it; NotFound when hidden or missing, Forbidden when visible but not theirs. */
  findOwned(id: string, owner: User): Promise<FileRecord>;
  /** Throws PayloadTooLarge when `bytes` more would exceed the user's quota or MAX_UPLOAD_BYTES. */
  assertCanStore(user: User, bytes: number): Promise<void>;
  /** Registers content already in storage under `storageKey` as a file (used by form and tus uploads). */
  register(input: Registration): Promise<FileRecord>;
  incrementDownloadCount(id: string): Promise<void>;
  /** Deletes row then content; runs the registered cascade hooks (comments, shares) first. */
  remove(id: string, owner: User): Promise<void>;
  /** Adds cleanup to run when a file is deleted, before its row goes (src/features/index.ts wires the cascade). */
  onDelete(hook: (file: FileRecord) => Promise<void>): void;
  /** The API shape of SPEC section 3. */
  toJson(file: FileRecord): FileJson;

  /** Registers several stored parts in one transaction, re-checking the quota inside it. */
  registerMany(inputs: Registration[]): Promise<FileRecord[]>;
  /** One page of the owner's files. */
  list(owner: User, query: FileListQuery): Promise<FileList>;
  /** The per-user quota in bytes (Infinity when unlimited). */
  readonly quota: number;
  /** Bytes the user stores and their quota (Infinity when unlimited). */
  usage(owner: User): Promise<{ used: number; quota: number }>;
  /** The newest public files, for the home page. */
  recentPublic(limit: number): Promise<FileRecord[]>;
  /** Renames and/or changes visibility; ValidationError names a bad field. */
  update(id: string, owner: User, changes: FileChanges): Promise<FileRecord>;
  /** Up to `bytes` first bytes of the content (text previews). */
  readHead(file: FileRecord, bytes: number): Promise<Buffer>;
  /** Removes content that never became (or no longer is) a file; failures are retried, never thrown. */
  discardContent(keys: string[]): Promise<void>;
  /** Removes the listed content that no row points at (start-up sweep); returns how many. */
  sweepOrphans(keys: AsyncIterable<string>): Promise<number>;
}

/** A file as the API presents it. */
interface FileJson {
  id: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
  visibility: 'private' | 'public';
  created_at: string;
  updated_at: string;
  owner: { id: string; username: string };
  download_url: string;
}

export interface FileServiceDeps {
  sequelize: Sequelize;
  files: FileRepository;
  storage: Storage;
  cleanup: ContentCleanup;
  logger: Logger;
  limits: { maxUploadBytes: number; userQuotaBytes: number };
  /** Quota held by the owner's unfinished resumable uploads, other than `except` (the ones registering now). */
  reservedBytes?(ownerId: string, except: string[], transaction: Transaction): Promise<number>;
}

/** Builds the file service. */
export function createFileService(deps: FileServiceDeps): FileService {
  const { files, limits } = deps;
  const hooks: ((file: FileRecord) => Promise<void>)[] = [];

  async function load(id: string): Promise<FileRecord | null> {
    return isWellFormedId(id) ? files.findById(id) : null;
  }

  function toRow(input: Registration): NewFile {
    const name = sanitizeFileName(input.name);
    return {
      id: input.id,
      ownerId: input.owner.id,
      name,
      size: input.size,
      type: resolveMimeType(input.type, name),
      sha256: input.sha256,
      storageKey: input.storageKey,
    };
  }

  async function insert(inputs: Registration[]): Promise<FileRecord[]> {
    const rows = inputs.map(toRow);
    const total = rows.reduce((sum, row) => sum + row.size, 0);
    const ids = rows.map((row) => row.id);
    await deps.sequelize.transaction(async (transaction) => {
      const ownerIds = [...new Set(rows.map((row) => row.ownerId))];
      for (const ownerId of ownerIds) {
        await files.lockOwner(ownerId, transaction);
        // Re-checked under the lock: two uploads racing each other cannot both fit into the last free bytes.
        const used = await files.usage(ownerId, transaction);
        // Unfinished resumable uploads reserved their share at creation: a form upload cannot take it.
        const reserved =
          limits.userQuotaBytes === Infinity
            ? 0
            : ((await deps.reservedBytes?.(ownerId, ids, transaction)) ?? 0);
        if (used + reserved + total > limits.userQuotaBytes)
          throw new PayloadTooLarge(fileMessages.overQuota(limits.userQuotaBytes));
      }
      await files.createMany(rows, transaction);
    });
    const created = await Promise.all(rows.map((row) => files.findById(row.id)));
    return created.filter((file): file is FileRecord => file !== null);
  }

  const service: FileService = {
    async findVisible(id, viewer) {
      const file = await load(id);
      if (!file || (file.visibility !== 'public' && file.ownerId !== viewer?.id))
        throw new NotFound();
      return file;
    },
    async findOwned(id, owner) {
      const file = await service.findVisible(id, owner);
      if (file.ownerId !== owner.id) throw new Forbidden('Only the owner can change this file.');
      return file;
    },
    async assertCanStore(user, bytes) {
      if (bytes > limits.maxUploadBytes)
        throw new PayloadTooLarge(fileMessages.tooLarge(limits.maxUploadBytes));
      if (limits.userQuotaBytes === Infinity) return;
      if ((await files.usage(user.id)) + bytes > limits.userQuotaBytes)
        throw new PayloadTooLarge(fileMessages.overQuota(limits.userQuotaBytes));
    },
    async register(input) {
      return (await insert([input]))[0];
    },
    registerMany: insert,
    incrementDownloadCount: (id) => files.incrementDownloadCount(id),
    async remove(id, owner) {
      const file = await service.findOwned(id, owner);
      // Dependents first, then the row, then the bytes: at no point does a row point at missing content.
      for (const hook of hooks) await hook(file);
      await files.delete(file.id);
      await deps.cleanup.remove(file.storageKey);
    },
    onDelete(hook) {
      hooks.push(hook);
    },
    toJson(file) {
      return {
        id: file.id,
        name: file.name,
        size: file.size,
        type: file.type,
        sha256: file.sha256,
        visibility: file.visibility,
        created_at: file.createdAt.toISOString(),
        updated_at: file.updatedAt.toISOString(),
        owner: { id: file.ownerId, username: file.ownerName },
        download_url: `/api/files/${file.id}/download`,
      };
    },
    quota: limits.userQuotaBytes,
    list: (owner, query) => files.list(owner.id, query),
    async usage(owner) {
      return { used: await files.usage(owner.id), quota: limits.userQuotaBytes };
    },
    recentPublic: (limit) => files.recentPublic(limit),
    async update(id, owner, changes) {
      const file = await service.findOwned(id, owner);
      const update = validateChanges(changes);
      if (Object.keys(update).length) await files.update(file.id, update);
      return (await files.findById(file.id)) ?? file;
    },
    async readHead(file, bytes) {
      if (file.size === 0) return Buffer.alloc(0);
      const stream = await deps.storage.get(file.storageKey, {
        start: 0,
        end: Math.min(bytes, file.size) - 1,
      });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async discardContent(keys) {
      await Promise.all(keys.map((key) => deps.cleanup.remove(key)));
    },
    async sweepOrphans(keys) {
      let removed = 0;
      let batch: string[] = [];
      const flush = async () => {
        const referenced = await files.referencedKeys(batch);
        const orphans = batch.filter((key) => !referenced.has(key));
        await service.discardContent(orphans);
        removed += orphans.length;
        batch = [];
      };
      for await (const key of keys) {
        batch.push(key);
        if (batch.length >= 500) await flush();
      }
      if (batch.length) await flush();
      if (removed) deps.logger.warn({ removed }, 'removed orphaned file content');
      return removed;
    },
  };
  return service;
}
