import fs from 'node:fs';
import path from 'node:path';
import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { createSqliteSequelize } from '../../src/models/sql/sqlite';
import { makeTempDir } from '../helpers/databases';

// The Sequelize internals src/models/sql/sqlite.ts relies on, each pinned here: an upgrade that changes one
// fails a test instead of quietly reopening a connection per transaction or losing the write queue.

type Manager = {
  connections: Record<string, object | undefined>;
  getConnection: unknown;
  releaseConnection: unknown;
  destroyConnection: unknown;
};
const managerOf = (sequelize: Sequelize) => sequelize.connectionManager as unknown as Manager;
/** What a Transaction keeps besides its typed API: its id (the connection's key) and its connection. */
const internalsOf = (transaction: Transaction) =>
  transaction as unknown as { id: string; connection: object };
const connectionOf = (transaction: Transaction) => internalsOf(transaction).connection;

describe('the Sequelize internals the SQLite adapter relies on', () => {
  let dir: string;
  const opened: Sequelize[] = [];
  const open = (sequelize: Sequelize) => (opened.push(sequelize), sequelize);
  const file = () => path.join(dir, 'db.sqlite');

  beforeEach(() => (dir = makeTempDir('depot-sql-sqlite-internals-')));
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((sequelize) => sequelize.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stock Sequelize opens a connection per transaction, kept under the transaction's id until it ends", async () => {
    const stock = open(new Sequelize({ dialect: 'sqlite', storage: file(), logging: false }));
    let during: string[] = [];
    let id = '';
    await stock.transaction(async (transaction) => {
      id = internalsOf(transaction).id;
      during = Object.keys(managerOf(stock).connections);
      expect(managerOf(stock).connections[id]).toBe(connectionOf(transaction));
    });
    expect(during).toContain(id);
    expect(Object.keys(managerOf(stock).connections)).not.toContain(id);
  });

  it('Depot wraps the connection manager and query/transaction on the instance', () => {
    const sequelize = open(createSqliteSequelize(file(), () => undefined));
    const manager = managerOf(sequelize);
    for (const name of ['getConnection', 'releaseConnection', 'destroyConnection'])
      expect(Object.hasOwn(manager, name)).toBe(true);
    expect(Object.hasOwn(sequelize, 'query')).toBe(true);
    expect(Object.hasOwn(sequelize, 'transaction')).toBe(true);
    // Run after COMMIT and ROLLBACK: an unmanaged transaction's queue turn is handed on from them.
    const prototype = Transaction.prototype as unknown as Record<string, unknown>;
    expect(typeof prototype.cleanup).toBe('function');
    expect(typeof prototype.forceCleanup).toBe('function');
  });

  it('runs every transaction, managed or not, on the one writer connection, kept open', async () => {
    const sequelize = open(createSqliteSequelize(file(), () => undefined));
    const seen: object[] = [];
    for (let n = 0; n < 3; n += 1)
      await sequelize.transaction(async (transaction) => void seen.push(connectionOf(transaction)));
    const unmanaged = await sequelize.transaction();
    seen.push(connectionOf(unmanaged));
    await unmanaged.rollback();
    const writer = managerOf(sequelize).connections.writer;
    expect(writer).toBeDefined();
    expect(seen.every((connection) => connection === writer)).toBe(true);
    // The turn came back after the rollback: a write outside a transaction does not wait for ever.
    await expect(sequelize.query('CREATE TABLE after_rollback (id TEXT)')).resolves.toBeDefined();
  });

  it('tunes every connection it opens: WAL, synchronous NORMAL and the busy timeout', async () => {
    const sequelize = open(createSqliteSequelize(file(), () => undefined, { busyTimeoutMs: 1234 }));
    const pragmas = async (transaction?: Transaction) => {
      const read = async (pragma: string) =>
        Object.values(
          (
            await sequelize.query<Record<string, unknown>>(`PRAGMA ${pragma}`, {
              type: QueryTypes.SELECT,
              transaction,
            })
          )[0] ?? {},
        )[0];
      return [await read('journal_mode'), await read('synchronous'), await read('busy_timeout')];
    };
    const expected = ['wal', 1, 1234];
    expect(await pragmas()).toEqual(expected);
    expect(await sequelize.transaction((transaction) => pragmas(transaction))).toEqual(expected);
  });

  it('keeps the file in sequelize.options.storage (the migration lock file is named after it)', () => {
    const sequelize = open(createSqliteSequelize(file(), () => undefined));
    expect((sequelize as unknown as { options: { storage?: string } }).options.storage).toBe(
      file(),
    );
  });
});
