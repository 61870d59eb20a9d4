import { literal, type Transaction } from 'sequelize';
import { allColumns, qualified, selectList } from '../../models/sql/columns';
import { FILE_TABLE, type FileModel, type FileRow } from '../../models/sql/file';
import { selectRows } from '../../models/sql/raw-select';
import { columnLiteral, runUpdate } from '../../models/sql/raw-update';
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

/** Every column of a file and its owner's name, as plain rows (src/models/sql/raw-select.ts). */
const SELECT_FILES =
  `SELECT ${selectList(FILE_TABLE, allColumns(FILE_TABLE))}, ${ownerNameOf(FILE_TABLE.name)} AS \`ownerName\`` +
  ` FROM ${FILE_TABLE.quotedName}`;
// The hot lookup of every download and file page, as one constant statement.
const FIND_BY_ID = `${SELECT_FILES} WHERE ${FILE_TABLE.quoted.id} = ? LIMIT 1`;

const f = FILE_TABLE.quoted;
const SORT_COLUMNS = { name: 'name', size: 'size', date: 'createdAt' } as const satisfies Record<
  FileSort,
  keyof typeof FILE_TABLE.quoted
>;

/** The listing's filter: the owner, and a search by INSTR (no LIKE escaping: "50%" finds "50%"). */
const listWhere = (search: boolean) =>
  ` WHERE ${f.ownerId} = ?` + (search ? ` AND instr(lower(${f.name}), ?) > 0` : '');

/** The listing's order: names case-insensitively (MySQL's collation is binary); the id makes it total. */
function listOrder(sort: FileSort, direction: 'ASC' | 'DESC'): string {
  const keys = sort === 'name' ? [`lower(${f.name})`, f.name] : [f[SORT_COLUMNS[sort]]];
  return ` ORDER BY ${[...keys, f.id].map((key) => `${key} ${direction}`).join(', ')}`;
}

// The listing's page and totals as constant statements (one per sort, order and search), plain rows.
const listStatements = new Map<string, { page: string; totals: string }>();
function listStatement(query: FileListQuery, search: boolean): { page: string; totals: string } {
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  const key = `${query.sort} ${direction} ${search}`;
  let statement = listStatements.get(key);
  if (!statement) {
    const where = listWhere(search);
    statement = {
      page: `${SELECT_FILES}${where}${listOrder(query.sort, direction)} LIMIT ? OFFSET ?`,
      totals:
        `SELECT count(${f.id}) AS \`total\`, sum(${f.size}) AS \`bytes\`` +
        ` FROM ${FILE_TABLE.quotedName}${where}`,
    };
    listStatements.set(key, statement);
  }
  return statement;
}

// Every counted download: one constant UPDATE (the time spliced in as the column writes it), no re-SELECT.
const COUNT_DOWNLOAD = (updatedAt: string) =>
  `UPDATE ${FILE_TABLE.quotedName} SET ${f.downloadCount} = ${f.downloadCount} + 1,` +
  ` ${f.updatedAt} = ${updatedAt} WHERE ${f.id} = ?`;

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

/** The Sequelize implementation. */
export function createFileRepository(File: FileModel, User: UserModel): FileRepository {
  // The time as the column's own DATE(3) type writes it, as the model does (MariaDB keeps the milliseconds).
  const updatedAt = columnLiteral(File, 'updatedAt');
  // The owner's name comes with each row; Sequelize names the table by the model in its queries.
  const withOwnerName = {
    include: [[literal(ownerNameOf(File.name)), 'ownerName']] as [
      ReturnType<typeof literal>,
      string,
    ][],
  };
  const ownerName = (row: FileRow) => {
    const name = row.get('ownerName');
    return typeof name === 'string' ? name : '';
  };
  const withOwners = (rows: FileRow[]): FileRecord[] =>
    rows.map((row) => toRecord(row, ownerName(row)));

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
      const needle = query.q?.trim().toLowerCase();
      const statement = listStatement(query, Boolean(needle));
      const filter = needle ? [ownerId, needle] : [ownerId];
      const [rows, [totals]] = await Promise.all([
        selectRows<FileColumns & { ownerName: string | null }>(File.sequelize!, statement.page, [
          ...filter,
          query.perPage,
          (query.page - 1) * query.perPage,
        ]),
        selectRows<{ total: number | string; bytes: number | string | null }>(
          File.sequelize!,
          statement.totals,
          filter,
        ),
      ]);
      return {
        items: rows.map((row) => toRecord(row, String(row.ownerName ?? ''))),
        total: Number(totals?.total ?? 0),
        bytes: Number(totals?.bytes ?? 0),
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
      await runUpdate(File.sequelize!, COUNT_DOWNLOAD(updatedAt(new Date())), [id]);
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
