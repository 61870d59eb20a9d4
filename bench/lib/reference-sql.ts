/**
 * The statements the reference of bench/requests.ts runs: the same SQL Depot sends for each request (read
 * from its trace log), through Sequelize's `query` on the same driver, rows as plain objects.
 */
import { randomBytes } from 'node:crypto';
import { QueryTypes, Sequelize } from 'sequelize';
import type { User } from '../../src/features/accounts/users-repository';
import type { FileRecord } from '../../src/features/files/repository';

const USER =
  'SELECT `id`, `username`, `role`, `token_version` AS `tokenVersion`, `wechat_openid` AS `wechatOpenid`, `created_at` AS `createdAt` FROM `users` WHERE `id` = ? LIMIT 1';
const FILE_COLUMNS =
  '`id`, `owner_id` AS `ownerId`, `name`, `size`, `type`, `sha256`, `storage_key` AS `storageKey`, `visibility`, `download_count` AS `downloadCount`, `created_at` AS `createdAt`, `updated_at` AS `updatedAt`, (SELECT `username` FROM `users` WHERE `users`.`id` = `files`.`owner_id`) AS `ownerName`';
const FILE = `SELECT ${FILE_COLUMNS} FROM \`files\` WHERE \`id\` = ? LIMIT 1`;
const PAGE = `SELECT ${FILE_COLUMNS} FROM \`files\` WHERE \`owner_id\` = ? ORDER BY \`createdAt\` DESC, \`id\` DESC LIMIT ?, ?`;
const TOTALS =
  'SELECT count(`id`) AS `total`, sum(`size`) AS `bytes` FROM `files` WHERE `owner_id` = ? LIMIT 1';
const COMMENT_COUNTS =
  'SELECT `file_id` AS `fileId`, COUNT(`id`) AS `count` FROM `comments` WHERE `file_id` IN (?) GROUP BY `fileId`';
const SESSION = 'SELECT `sid`, `data`, `expires_at` AS `expiresAt` FROM `sessions` WHERE `sid` = ?';
const SAVE_SESSION = 'UPDATE `sessions` SET `data` = ? WHERE `sid` = ?';
const COUNT_DOWNLOAD =
  'UPDATE `files` SET `download_count` = `download_count` + 1, `updated_at` = ? WHERE `id` = ?';
const ACTIVITY =
  'INSERT INTO `activities` (`id`, `type`, `user_id`, `user_name`, `file_id`, `file_owner_id`, `file_name`, `ip`, `user_agent`, `at`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** Rows in the shapes Depot's own code gives its templates and serializers. */
export type UserRow = User;
/** A files row with its owner's name, dates as Date. */
export type FileRow = FileRecord;

type Raw<T> = Omit<T, 'createdAt' | 'updatedAt'> & {
  createdAt: Date | string;
  updatedAt: Date | string;
};

/** Opens DATABASE_URL with the driver settings Depot gives it (SQLite: WAL, synchronous NORMAL). */
export async function openDatabase(databaseUrl: string): Promise<Sequelize> {
  if (!databaseUrl.startsWith('sqlite:'))
    return new Sequelize(databaseUrl, {
      dialect: 'mysql',
      logging: false,
      dialectOptions: { charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: false },
      pool: { max: 10, min: 0, idle: 10_000 },
    });
  const sequelize = new Sequelize({
    dialect: 'sqlite',
    storage: databaseUrl.slice('sqlite:'.length),
    logging: false,
  });
  // Statements outside a transaction share one connection in Sequelize's SQLite dialect: tuned once.
  for (const pragma of ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 5000'])
    await sequelize.query(`PRAGMA ${pragma}`);
  return sequelize;
}

/** The reference's statements over one connection. */
export function referenceQueries(sequelize: Sequelize) {
  const mysql = sequelize.getDialect() === 'mysql';
  // `tableNames: []` keeps Sequelize's SQLite dialect from a PRAGMA table_info before each SELECT, as Depot does.
  const select = <T extends object>(sql: string, replacements: unknown[]) =>
    sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, tableNames: [] } as {
      replacements: unknown[];
      type: QueryTypes.SELECT;
    });
  const run = (sql: string, replacements: unknown[], type: QueryTypes) =>
    sequelize.query(sql, { replacements, type });
  // The column's own format: SQLite's DATE as Sequelize writes it, MariaDB's DATETIME(3) with milliseconds.
  const timestamp = (date: Date) =>
    date
      .toISOString()
      .replace('T', ' ')
      .replace('Z', mysql ? '' : ' +00:00');
  const withDates = <T>(row: Raw<T>): T =>
    ({ ...row, createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt) }) as T;
  return {
    async session(sid: string) {
      const [row] = await select<{ data: string; expiresAt: Date | string }>(SESSION, [sid]);
      if (!row || new Date(row.expiresAt).getTime() <= Date.now()) return null;
      return JSON.parse(row.data) as Record<string, unknown>;
    },
    saveSession: (sid: string, data: Record<string, unknown>) =>
      run(SAVE_SESSION, [JSON.stringify(data), sid], QueryTypes.UPDATE),
    async user(id: string): Promise<UserRow | null> {
      const [row] = await select<Raw<UserRow & { updatedAt: Date }>>(USER, [id]);
      return row ? { ...row, createdAt: new Date(row.createdAt) } : null;
    },
    async file(id: string): Promise<FileRow | null> {
      const [row] = await select<Raw<FileRow>>(FILE, [id]);
      return row ? withDates<FileRow>(row) : null;
    },
    async page(ownerId: string, offset: number, limit: number) {
      const [rows, [totals]] = await Promise.all([
        select<Raw<FileRow>>(PAGE, [ownerId, offset, limit]),
        select<{ total: number; bytes: number | string | null }>(TOTALS, [ownerId]),
      ]);
      return {
        items: rows.map((row) => withDates<FileRow>(row)),
        total: Number(totals.total),
        bytes: Number(totals.bytes ?? 0),
      };
    },
    async commentCounts(fileIds: string[]): Promise<Record<string, number>> {
      if (!fileIds.length) return {};
      const rows = await select<{ fileId: string; count: number }>(COMMENT_COUNTS, [fileIds]);
      return Object.fromEntries(rows.map((row) => [row.fileId, Number(row.count)]));
    },
    countDownload: (id: string) =>
      run(COUNT_DOWNLOAD, [timestamp(new Date()), id], QueryTypes.UPDATE),
    recordDownload: (user: UserRow, file: FileRow, ip: string, userAgent: string) =>
      run(
        ACTIVITY,
        [
          randomBytes(16).toString('base64url'),
          'download',
          user.id,
          user.username,
          file.id,
          file.ownerId,
          file.name,
          ip,
          userAgent.slice(0, 512),
          timestamp(new Date()),
        ],
        QueryTypes.INSERT,
      ),
  };
}

/** The statements of one reference server. */
export type ReferenceQueries = ReturnType<typeof referenceQueries>;
