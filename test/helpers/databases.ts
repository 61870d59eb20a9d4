import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';

export type DatabaseKind = 'sqlite' | 'mysql';

/** SQLite always; MySQL/MariaDB too when TEST_MYSQL_URL is set. */
export const DATABASES: DatabaseKind[] = process.env.TEST_MYSQL_URL
  ? ['sqlite', 'mysql']
  : ['sqlite'];

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database: a SQLite file in its own temp dir, or a new MySQL database dropped afterwards. */
export async function createTestDatabase(
  kind: DatabaseKind,
  workDir: string,
): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    return { url: `sqlite:${path.join(workDir, 'depot.sqlite')}`, drop: async () => undefined };
  }
  const serverUrl = new URL(process.env.TEST_MYSQL_URL as string);
  const name = `depot_t_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({
    host: serverUrl.hostname,
    port: Number(serverUrl.port || 3306),
    user: decodeURIComponent(serverUrl.username),
    password: decodeURIComponent(serverUrl.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const url = new URL(serverUrl.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

/** A temp directory removed by the caller. */
export function makeTempDir(prefix = 'depot-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
