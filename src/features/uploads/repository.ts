import { Op, type Transaction } from 'sequelize';
import { allColumns, selectList } from '../../models/sql/columns';
import { selectRows } from '../../models/sql/raw-select';
import { columnLiteral, runUpdate } from '../../models/sql/raw-update';
import {
  UPLOAD_TABLE as UPLOADS,
  type UploadModel,
  type UploadRow,
  type UploadStatus,
} from '../../models/sql/upload';

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
  create(
    input: {
      id: string;
      ownerId: string;
      size: number;
      metadata: Record<string, string | null>;
    },
    transaction?: Transaction,
  ): Promise<UploadRecord>;
  find(id: string): Promise<UploadRecord | null>;
  setOffset(id: string, offset: number): Promise<void>;
  /** Raises the offset to `offset` (bytes known to be on disk) and never lowers it; a gone upload is a no-op. */
  advanceOffset(id: string, offset: number): Promise<void>;
  setStatus(id: string, status: UploadStatus): Promise<void>;
  remove(id: string): Promise<void>;
  /** Uploads not touched since `before` (any status). */
  untouchedSince(before: Date, limit: number): Promise<UploadRecord[]>;
  /** Uploads whose last byte arrived but which are not yet files (an interrupted completion). */
  unfinished(limit: number): Promise<UploadRecord[]>;
  /** Bytes the owner has announced in uploads that are not files yet (leaving out the uploads `except`). */
  pendingBytes(ownerId: string, transaction?: Transaction, except?: string[]): Promise<number>;
  /** Bytes every upload still receiving may yet send (declared size minus offset): space the disk owes them. */
  promisedBytes(): Promise<number>;
  /** Which of `ids` are uploads that are not files yet (their content must not be taken for an orphan). */
  unfinishedAmong(ids: string[]): Promise<Set<string>>;
}

function parseMetadata(text: string): Record<string, string | null> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, string | null>) : {};
  } catch {
    return {};
  }
}

/** An upload's columns, from a model instance or a raw query (dates as Date or the driver's string). */
type UploadColumns = Pick<UploadRow, 'id' | 'ownerId' | 'size' | 'uploadOffset' | 'metadata'> & {
  status: string;
  createdAt: Date | string;
  updatedAt: Date | string;
};

const { quoted: q, quotedName: UPLOADS_TABLE } = UPLOADS;

// Every tus request reads its upload by id: one constant statement (src/models/sql/raw-select.ts).
const FIND_BY_ID =
  `SELECT ${selectList(UPLOADS, allColumns(UPLOADS))} FROM ${UPLOADS_TABLE}` +
  ` WHERE ${q.id} = ? LIMIT 1`;

const STATUSES: readonly UploadStatus[] = ['receiving', 'completing', 'done'];

function toRecord(row: UploadColumns): UploadRecord {
  return {
    id: row.id,
    ownerId: row.ownerId,
    size: Number(row.size),
    offset: Number(row.uploadOffset),
    metadata: parseMetadata(row.metadata),
    status: STATUSES.find((status) => status === row.status) ?? 'receiving',
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

// Every PATCH sets the offset: constant statements (src/models/sql/raw-update.ts), the time spliced in.
const SET_OFFSET = (now: string) =>
  `UPDATE ${UPLOADS_TABLE} SET ${q.uploadOffset} = ?, ${q.updatedAt} = ${now} WHERE ${q.id} = ?`;
const ONLY_FORWARD = ` AND ${q.uploadOffset} < ? AND ${q.status} = 'receiving'`;
const PROMISED =
  `SELECT COALESCE(SUM(${q.size} - ${q.uploadOffset}), 0) AS \`promised\`` +
  ` FROM ${UPLOADS_TABLE} WHERE ${q.status} = 'receiving'`;

/** The SQL implementation. */
export function createUploadRepository(model: UploadModel): UploadRepository {
  // The time as the column's own DATE(3) type writes it, as the model does (MariaDB keeps the milliseconds).
  const updatedAt = columnLiteral(model, 'updatedAt');
  return {
    async create(input, transaction) {
      const row = await model.create(
        {
          id: input.id,
          ownerId: input.ownerId,
          size: input.size,
          metadata: JSON.stringify(input.metadata),
        },
        { transaction },
      );
      return toRecord(row);
    },
    async find(id) {
      const [row] = await selectRows<UploadColumns>(model.sequelize!, FIND_BY_ID, [id]);
      return row ? toRecord(row) : null;
    },
    async setOffset(id, offset) {
      const sql = SET_OFFSET(updatedAt(new Date()));
      await runUpdate(model.sequelize!, sql, [offset, id]);
    },
    async advanceOffset(id, offset) {
      // Conditional, so a late report of a background sync never moves the offset back.
      const sql = SET_OFFSET(updatedAt(new Date())) + ONLY_FORWARD;
      await runUpdate(model.sequelize!, sql, [offset, id, offset]);
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
    async pendingBytes(ownerId, transaction, except = []) {
      const total = await model.sum('size', {
        where: {
          ownerId,
          status: { [Op.ne]: 'done' },
          ...(except.length ? { id: { [Op.notIn]: except } } : {}),
        },
        transaction,
      });
      return Number(total ?? 0);
    },
    async promisedBytes() {
      const [row] = await selectRows<{ promised: number | string }>(model.sequelize!, PROMISED, []);
      return Math.max(0, Number(row?.promised ?? 0));
    },
    async unfinishedAmong(ids) {
      if (!ids.length) return new Set();
      const rows = await model.findAll({
        where: { id: ids, status: { [Op.ne]: 'done' } },
        attributes: ['id'],
      });
      return new Set(rows.map((row) => row.id));
    },
  };
}
