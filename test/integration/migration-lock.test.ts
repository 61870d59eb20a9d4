import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Sequelize } from 'sequelize';
import { migrations } from '../../migrations';
import { createLogger } from '../../src/logger';
import { createSequelize } from '../../src/models/sql';
import { MIGRATION_LOCK } from '../../src/models/sql/migration-lock';
import { migrateToLatest } from '../../src/models/sql/migrator';
import { createTestDatabase, DATABASES, makeTempDir } from '../helpers/databases';

const INSTANCES = 3;
const silent = createLogger(
  { level: 'warn' },
  new Writable({ write: (_chunk, _encoding, done) => done() }),
);

describe.each(DATABASES)('migrations started by several instances at once (%s)', (db) => {
  let workDir: string;
  let drop: () => Promise<void>;
  let instances: Sequelize[];

  beforeEach(async () => {
    workDir = makeTempDir();
    const database = await createTestDatabase(db, workDir);
    drop = database.drop;
    instances = Array.from({ length: INSTANCES }, () => createSequelize(database.url, silent));
  });
  afterEach(async () => {
    await Promise.all(instances.map((sequelize) => sequelize.close()));
    await drop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it(`${INSTANCES} instances on a fresh database all succeed and apply each migration once`, async () => {
    const results = await Promise.allSettled(
      instances.map((sequelize) => migrateToLatest(sequelize, silent)),
    );
    expect(results.map((result) => result.status)).toEqual(Array(INSTANCES).fill('fulfilled'));
    const [rows] = (await instances[0].query('SELECT name FROM schema_migrations')) as [
      Array<{ name: string }>,
      unknown,
    ];
    expect(rows.map((row) => row.name).sort()).toEqual(
      migrations.map((migration) => migration.name).sort(),
    );
    // Every instance sees the whole schema.
    for (const sequelize of instances)
      await expect(sequelize.query('SELECT COUNT(*) FROM users')).resolves.toBeDefined();
  });

  it('waits while another process holds the lock, then migrates', async () => {
    const holder = instances[0];
    const release = await holdLock(db, holder);
    let done = false;
    const migrating = migrateToLatest(instances[1], silent).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(done).toBe(false);
    await release();
    await migrating;
    const [rows] = (await instances[1].query('SELECT COUNT(*) AS n FROM schema_migrations')) as [
      Array<{ n: number }>,
      unknown,
    ];
    expect(Number(rows[0].n)).toBe(migrations.length);
  });

  it('a later start waits for nothing and changes nothing', async () => {
    await migrateToLatest(instances[0], silent);
    await Promise.all(instances.map((sequelize) => migrateToLatest(sequelize, silent)));
    const [rows] = (await instances[1].query('SELECT COUNT(*) AS n FROM schema_migrations')) as [
      Array<{ n: number }>,
      unknown,
    ];
    expect(Number(rows[0].n)).toBe(migrations.length);
  });
});

const ROOT = path.resolve(__dirname, '../..');

/** Takes the migration lock as another instance would; resolves to its release. */
async function holdLock(db: string, sequelize: Sequelize): Promise<() => Promise<void>> {
  if (db === 'mysql') {
    const transaction = await sequelize.transaction();
    await sequelize.query(`SELECT GET_LOCK('${MIGRATION_LOCK.name}', 5)`, { transaction });
    return async () => {
      await sequelize.query(`SELECT RELEASE_LOCK('${MIGRATION_LOCK.name}')`, { transaction });
      await transaction.commit();
    };
  }
  const { options } = sequelize as unknown as { options: { storage: string } };
  const { default: sqlite3 } = await import('sqlite3');
  const lock = new sqlite3.Database(`${options.storage}.migrate-lock`);
  await new Promise<void>((resolve, reject) =>
    lock.exec('BEGIN EXCLUSIVE', (err) => (err ? reject(err) : resolve())),
  );
  return () => new Promise<void>((resolve) => lock.close(() => resolve()));
}

/** `tsx bin/migrate.ts` against `databaseUrl` in a child process: its exit code and stderr. */
function migrateProcess(databaseUrl: string, dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/migrate.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      APP_KEYS: randomBytes(32).toString('base64url'),
      JWT_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
}

describe.each(DATABASES)('npm run migrate twice at once on a fresh database (%s)', (db) => {
  it('both processes exit 0 and every migration is applied once', async () => {
    const workDir = makeTempDir();
    const database = await createTestDatabase(db, workDir);
    try {
      const results = await Promise.all([
        migrateProcess(database.url, workDir),
        migrateProcess(database.url, workDir),
      ]);
      expect(results).toEqual([
        { code: 0, stderr: '' },
        { code: 0, stderr: '' },
      ]);
      const sequelize = createSequelize(database.url, silent);
      const [rows] = (await sequelize.query('SELECT name FROM schema_migrations')) as [
        Array<{ name: string }>,
        unknown,
      ];
      await sequelize.close();
      expect(rows).toHaveLength(migrations.length);
    } finally {
      await database.drop();
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the SQLite migration lock file', () => {
  it('leaves no lock behind that would block the next start', async () => {
    const workDir = makeTempDir();
    const url = `sqlite:${path.join(workDir, 'depot.sqlite')}`;
    const first = createSequelize(url, silent);
    await migrateToLatest(first, silent);
    await first.close();
    const second = createSequelize(url, silent);
    await migrateToLatest(second, silent);
    await second.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });
});
