import fs from 'node:fs';
import path from 'node:path';
import { DataTypes, Sequelize } from 'sequelize';
import { createSqliteSequelize } from '../../src/models/sql/sqlite';
import { WriteQueueTimeout } from '../../src/models/sql/write-queue';
import { makeTempDir } from '../helpers/databases';

// A zero busy timeout turns any wait on SQLite's write lock into SQLITE_BUSY at once: these tests pass only
// if no writer of the process ever reaches SQLite while another one holds the lock.
describe('SQLite writes (one in-process writer queue)', () => {
  let dir: string;
  let sequelize: Sequelize;
  const counter = () => sequelize.models.Counter;

  beforeEach(async () => {
    dir = makeTempDir('depot-sqlite-writes-');
    sequelize = createSqliteSequelize(path.join(dir, 'db.sqlite'), () => undefined, {
      busyTimeoutMs: 0,
      maxWriteWaitMs: 30_000,
    });
    sequelize.define(
      'Counter',
      { id: { type: DataTypes.STRING, primaryKey: true }, value: DataTypes.INTEGER },
      { tableName: 'counters', timestamps: false },
    );
    await sequelize.sync();
    await counter().create({ id: 'total', value: 0 });
  });

  afterEach(async () => {
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs 200 concurrent read-then-write transactions, single writes and reads without SQLITE_BUSY or a lost update', async () => {
    const work = Array.from({ length: 200 }, (_, index) => {
      if (index % 4 === 0) return counter().findByPk('total');
      if (index % 4 === 1) return counter().create({ id: `row-${index}`, value: index });
      return sequelize.transaction(async (transaction) => {
        const row = await counter().findByPk('total', { transaction });
        // A yield between read and write: another writer would slip in here without the queue.
        await new Promise((resolve) => setImmediate(resolve));
        await counter().update(
          { value: (row!.get('value') as number) + 1 },
          { where: { id: 'total' }, transaction },
        );
      });
    });
    await Promise.all(work);
    expect((await counter().findByPk('total'))!.get('value')).toBe(100);
    expect(await counter().count()).toBe(51);
  });

  it('holds the turn of an unmanaged transaction until it commits or rolls back', async () => {
    const first = await sequelize.transaction();
    await counter().update({ value: 1 }, { where: { id: 'total' }, transaction: first });
    const single = counter().update({ value: 2 }, { where: { id: 'total' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await first.commit();
    await single;
    expect((await counter().findByPk('total'))!.get('value')).toBe(2);

    const second = await sequelize.transaction();
    await counter().update({ value: 3 }, { where: { id: 'total' }, transaction: second });
    const after = counter().update({ value: 4 }, { where: { id: 'total' } });
    await second.rollback();
    await after;
    expect((await counter().findByPk('total'))!.get('value')).toBe(4);
  });

  it('runs a savepoint on its parent transaction turn instead of waiting for itself', async () => {
    await sequelize.transaction(async (transaction) => {
      await sequelize.transaction({ transaction }, async (savepoint) => {
        await counter().update({ value: 7 }, { where: { id: 'total' }, transaction: savepoint });
      });
    });
    expect((await counter().findByPk('total'))!.get('value')).toBe(7);
  });

  it('keeps serving reads while a transaction holds the write lock', async () => {
    let release!: () => void;
    const holding = sequelize.transaction(async (transaction) => {
      await counter().update({ value: 9 }, { where: { id: 'total' }, transaction });
      await new Promise<void>((resolve) => (release = resolve));
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // WAL: the reader sees the last committed value and does not wait for the writer.
    expect((await counter().findByPk('total'))!.get('value')).toBe(0);
    release();
    await holding;
    expect((await counter().findByPk('total'))!.get('value')).toBe(9);
  });

  it('runs every transaction on one connection kept open, and replaces it after a commit that failed', async () => {
    const manager = sequelize.connectionManager as unknown as {
      connections: Record<string, unknown>;
    };
    for (let n = 0; n < 3; n += 1)
      await sequelize.transaction((transaction) =>
        counter().update({ value: n }, { where: { id: 'total' }, transaction }),
      );
    const writer = manager.connections.writer;
    expect(writer).toBeDefined();
    expect(Object.keys(manager.connections).sort()).toEqual(['default', 'writer']);

    // A deferred foreign key fails at COMMIT and SQLite leaves that transaction open on its connection.
    await sequelize.query('CREATE TABLE parents (id TEXT PRIMARY KEY)');
    await sequelize.query(
      'CREATE TABLE children (id TEXT, parent_id TEXT REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED)',
    );
    await expect(
      sequelize.transaction((transaction) =>
        sequelize.query("INSERT INTO children VALUES ('c', 'missing')", { transaction }),
      ),
    ).rejects.toThrow(/FOREIGN KEY/);
    expect(manager.connections.writer).not.toBe(writer);
    await sequelize.transaction((transaction) =>
      counter().update({ value: 5 }, { where: { id: 'total' }, transaction }),
    );
    expect((await counter().findByPk('total'))!.get('value')).toBe(5);
    expect((await sequelize.query('SELECT COUNT(*) AS n FROM children', { plain: true }))!.n).toBe(
      0,
    );
  });

  it('fails a write that waited past the bound with WriteQueueTimeout, and nothing of it is written', async () => {
    const bounded = createSqliteSequelize(path.join(dir, 'db.sqlite'), () => undefined, {
      busyTimeoutMs: 0,
      maxWriteWaitMs: 100,
    });
    try {
      let release!: () => void;
      const holding = bounded.transaction(
        () => new Promise<void>((resolve) => (release = resolve)),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(
        bounded.query("UPDATE counters SET value = 42 WHERE id = 'total'"),
      ).rejects.toBeInstanceOf(WriteQueueTimeout);
      release();
      await holding;
      expect((await counter().findByPk('total'))!.get('value')).toBe(0);
    } finally {
      await bounded.close();
    }
  });
});
