import { Op } from 'sequelize';
import type { UploadModel, UploadRow, UploadStatus } from '../models/sql/upload';

/** A resumable upload's shared state, as a plain object. */
export interface UploadRecord {
  id: string;
  ownerId: string;
  size: number;
  offset: number;
  metadata: Record<string, string | null>;
  status: UploadStatus;
  createdAt: Date;
  /** Last activity: creation, or the last byte received; expiry counts from here. */
  updatedAt: Date;
}

/** Persistence of upload state in SQL, so every app instance sees the same offsets and owners. */
export interface UploadRepository {
  create(input: {
    id: string;
    ownerId: string;
    size: number;
    metadata: Record<string, string | null>;
  }): Promise<UploadRecord>;
  find(id: string): Promise<UploadRecord | null>;
  setOffset(id: string, offset: number): Promise<void>;
  setStatus(id: string, status: UploadStatus): Promise<void>;
  remove(id: string): Promise<void>;
  /** Uploads not touched since `before` (any status). */
  untouchedSince(before: Date, limit: number): Promise<UploadRecord[]>;
  /** Uploads whose last byte arrived but which are not yet files (an interrupted completion). */
  unfinished(limit: number): Promise<UploadRecord[]>;
  /** Bytes the owner has announced in uploads that are not files yet. */
  pendingBytes(ownerId: string): Promise<number>;
}

function parseMetadata(text: string): Record<string, string | null> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, string | null>) : {};
  } catch {
    return {};
  }
}

function toRecord(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    ownerId: row.ownerId,
    size: Number(row.size),
    offset: Number(row.uploadOffset),
    metadata: parseMetadata(row.metadata),
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The SQL implementation. */
export function createUploadRepository(model: UploadModel): UploadRepository {
  return {
    async create(input) {
      const row = await model.create({
        id: input.id,
        ownerId: input.ownerId,
        size: input.size,
        metadata: JSON.stringify(input.metadata),
      });
      return toRecord(row);
    },
    async find(id) {
      const row = await model.findByPk(id);
      return row ? toRecord(row) : null;
    },
    async setOffset(id, offset) {
      await model.update({ uploadOffset: offset, updatedAt: new Date() }, { where: { id } });
    },
    async setStatus(id, status) {
      await model.update({ status, updatedAt: new Date() }, { where: { id } });
    },
    async remove(id) {
      await model.destroy({ where: { id } });
    },
    async untouchedSince(before, limit) {
      const rows = await model.findAll({
        where: { updatedAt: { [Op.lt]: before } },
        order: [['updatedAt', 'ASC']],
        limit,
      });
      return rows.map(toRecord);
    },
    async unfinished(limit) {
      const rows = await model.findAll({
        where: {
          [Op.or]: [
            { status: 'completing' },
            { status: 'receiving', uploadOffset: { [Op.eq]: model.sequelize!.col('size') } },
          ],
        },
        limit,
      });
      return rows.map(toRecord);
    },
    async pendingBytes(ownerId) {
      const total = await model.sum('size', {
        where: { ownerId, status: { [Op.ne]: 'done' } },
      });
      return Number(total ?? 0);
    },
  };
}
