import {
  Op,
  col,
  fn,
  literal,
  where as sqlWhere,
  type Order,
  type Transaction,
  type WhereOptions,
} from 'sequelize';
import { allColumns, qualified, selectList } from '../../models/sql/columns';
import { FILE_TABLE, type FileModel, type FileRow } from '../../models/sql/file';
import { selectRows } from '../../models/sql/raw-select';
import { USER_TABLE, type UserModel } from '../../models/sql/user';

/** A file as the rest of the app sees it: a plain object with its owner's name. */
export interface FileRecord {
  id: string;
  ownerId: string;
  ownerName: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
  storageKey: string;
  visibility: 'private' | 'public';
  downloadCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What a new row needs (visibility starts private). */
export type NewFile = Pick<
  FileRecord,
  'id' | 'ownerId' | 'name' | 'size' | 'type' | 'sha256' | 'storageKey'
>;

export type FileSort = 'name' | 'size' | 'date';
export type SortOrder = 'asc' | 'desc';

/** One page of a user's files. */
export interface FileListQuery {
  q?: string;
  sort: FileSort;
  order: SortOrder;
  page: number;
  perPage: number;
}

export interface FileList {
  items: FileRecord[];
  /** How many files match, and their total size (without a search: the user's storage used). */
  total: number;
  bytes: number;
}

/** Persistence of files; returns plain objects. */
export interface FileRepository {
  findById(id: string): Promise<FileRecord | null>;
  list(ownerId: string, query: FileListQuery): Promise<FileList>;
  /** Total bytes stored by the user. */
  usage(ownerId: string, transaction?: Transaction): Promise<number>;
  recentPublic(limit: number): Promise<FileRecord[]>;
  createMany(files: NewFile[], transaction?: Transaction): Promise<void>;
  update(id: string, changes: Partial<Pick<FileRecord, 'name' | 'visibility'>>): Promise<void>;
  delete(id: string): Promise<boolean>;
  incrementDownloadCount(id: string): Promise<void>;
  /** Which of `keys` are referenced by a row (for the orphaned-content sweep). */
  referencedKeys(keys: string[]): Promise<Set<string>>;
  /** Serializes quota checks of one user inside `transaction` (row lock on MySQL; SQLite has one writer). */
  lockOwner(ownerId: string, transaction: Transaction): Promise<void>;
}

/** A row's columns, from a model instance or a raw query (dates as Date or the driver's string). */
type FileColumns = Omit<
  Pick<FileRow, keyof FileRecord & keyof FileRow>,
  'createdAt' | 'updatedAt' | 'visibility'
> & { visibility: string; createdAt: Date | string; updatedAt: Date | string };

/** The owner's name of the row `alias` (a correlated subquery: no association, one query per lookup). */
const ownerNameOf = (alias: string) =>
  `(SELECT ${USER_TABLE.quoted.username} FROM ${USER_TABLE.quotedName}` +
  ` WHERE ${qualified(USER_TABLE, 'id', USER_TABLE.name)} = ${qualified(FILE_TABLE, 'ownerId', alias)})`;

// The hot lookup of every download and file page, as one constant statement (src/models/sql/raw-select.ts).
const FIND_BY_ID =
  `SELECT ${selectList(FILE_TABLE, allColumns(FILE_TABLE))}, ${ownerNameOf(FILE_TABLE.name)} AS \`ownerName\`` +
  ` FROM ${FILE_TABLE.quotedName} WHERE ${FILE_TABLE.quoted.id} = ? LIMIT 1`;

function toRecord(row: FileColumns, ownerName: string): FileRecord {
  return {
    id: row.id,
    ownerId: row.ownerId,
    ownerName,
    name: row.name,
    size: Number(row.size),
    type: row.type,
    sha256: row.sha256,
    storageKey: row.storageKey,
    visibility: row.visibility === 'public' ? 'public' : 'private',
    downloadCount: Number(row.downloadCount),
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

const SORT_COLUMNS: Record<FileSort, string> = { name: 'name', size: 'size', date: 'createdAt' };

/** The Sequelize implementation. */
export function createFileRepository(File: FileModel, User: UserModel): FileRepository {
  // The owner's name comes with each row; Sequelize names the table by the model in its queries.
  const withOwnerName = {
    include: [[literal(ownerNameOf(File.name)), 'ownerName']] as [
      ReturnType<typeof literal>,
      string,
    ][],
  };
  const withOwners = (rows: FileRow[]): FileRecord[] =>
    rows.map((row) => toRecord(row, String(row.get('ownerName') ?? '')));

  function listWhere(ownerId: string, q?: string): WhereOptions {
    const needle = q?.trim().toLowerCase();
    if (!needle) return { ownerId };
    // INSTR needs no LIKE escaping (a search for "50%" finds "50%"), and works the same in SQLite and MySQL.
    return {
      [Op.and]: [{ ownerId }, sqlWhere(fn('instr', fn('lower', col('name')), needle), Op.gt, 0)],
    };
  }

  return {
    async findById(id) {
      const [row] = await selectRows<FileColumns & { ownerName: string | null }>(
        File.sequelize!,
        FIND_BY_ID,
        [id],
      );
      return row ? toRecord(row, String(row.ownerName ?? '')) : null;
    },
    async list(ownerId, query) {
      const direction = query.order === 'asc' ? 'ASC' : 'DESC';
      const column = SORT_COLUMNS[query.sort];
      // Names sort case-insensitively (the MySQL collation is binary); the id makes every order total and stable.
      const order: Order =
        query.sort === 'name'
          ? [
              [fn('lower', col('name')), direction],
              ['name', direction],
              ['id', direction],
            ]
          : [
              [column, direction],
              ['id', direction],
            ];
      const where = listWhere(ownerId, query.q);
      const [rows, count] = await Promise.all([
        File.findAll({
          where,
          attributes: withOwnerName,
          order,
          limit: query.perPage,
          offset: (query.page - 1) * query.perPage,
        }),
        File.findOne({
          where,
          attributes: [
            [fn('count', col('id')), 'total'],
            [fn('sum', col('size')), 'bytes'],
          ],
          raw: true,
        }) as Promise<{ total: number | string; bytes: number | string | null } | null>,
      ]);
      return {
        items: withOwners(rows),
        total: Number(count?.total ?? 0),
        bytes: Number(count?.bytes ?? 0),
      };
    },
    async usage(ownerId, transaction) {
      const total = await File.sum('size', { where: { ownerId }, transaction });
      return Number(total) || 0;
    },
    async recentPublic(limit) {
      const rows = await File.findAll({
        where: { visibility: 'public' },
        attributes: withOwnerName,
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit,
      });
      return withOwners(rows);
    },
    async createMany(files, transaction) {
      await File.bulkCreate(
        files.map((file) => ({ ...file })),
        { transaction },
      );
    },
    async update(id, changes) {
      await File.update(changes, { where: { id } });
    },
    async delete(id) {
      return (await File.destroy({ where: { id } })) > 0;
    },
    async incrementDownloadCount(id) {
      await File.increment('downloadCount', { where: { id } });
    },
    async referencedKeys(keys) {
      if (!keys.length) return new Set();
      const rows = await File.findAll({
        where: { storageKey: keys },
        attributes: ['storageKey'],
      });
      return new Set(rows.map((row) => row.storageKey));
    },
    async lockOwner(ownerId, transaction) {
      if (File.sequelize?.getDialect() === 'sqlite') return;
      await User.findByPk(ownerId, { transaction, lock: transaction.LOCK.UPDATE });
    },
  };
}
