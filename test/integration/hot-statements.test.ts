import request from 'supertest';
import { bearer, signedInAgent } from '../helpers/agents';
import { binaryParser } from '../helpers/binary';
import { DATABASES } from '../helpers/databases';
import { recordedTestApp } from '../helpers/statements';
import { storeFile } from '../helpers/stored-files';
import { ValidationError } from '../../src/errors';
import type { ActivityType } from '../../src/features/activity/events';
import { USER_AGENT_MAX } from '../../src/features/activity/repository';
import { createSqlActivityRepository } from '../../src/features/activity/sql-repository';
import { newId } from '../../src/lib/ids';

/*
 * The statements the hot requests of bench/requests.ts run, counted on the real database, so that query
 * building, re-SELECTs and extra lookups cannot creep back unnoticed (bench/README.md, "Dynamic requests
 * against bare Koa").
 */

/** A statement's first keyword and table: `SELECT files`, `UPDATE files`, `INSERT activities`. */
function kindOf(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '?';
  // The last table named: a file row's owner name is a subquery on users before its FROM files.
  const tables = [...sql.matchAll(/\b(?:FROM|UPDATE|INTO)\s+[`"]?(\w+)/gi)].map(
    (match) => match[1],
  );
  return `${verb} ${tables.at(-1) ?? '?'}`;
}

/** Sequelize's model queries alias the table (`files` AS `File`) or bind `$1`; constant statements do neither. */
const isModelBuilt = (sql: string) => /\bFROM `\w+` AS `|\$\d/.test(sql);

const notSession = (kind: string) => kind !== 'SELECT sessions';

describe.each(DATABASES)('statements of the hot requests (%s)', (db) => {
  const app = recordedTestApp(db);

  /** The kinds of the statements that answering `send()` ran, activity writes after it included, sorted. */
  async function statementsOf(send: () => Promise<request.Response>) {
    await app.t.deps.activity.flush();
    const { result: res, ran } = await app.recorder.during(async () => {
      const answer = await send();
      await app.t.deps.activity.flush();
      return answer;
    });
    // The session store (src/http/session-store.ts) is another item's: only its count is pinned here.
    const modelBuilt = ran.filter(isModelBuilt).map(kindOf);
    return { res, kinds: ran.map(kindOf).sort(), modelBuilt: modelBuilt.filter(notSession) };
  }

  async function ownerWithFiles(count: number) {
    const owner = await signedInAgent(app.t);
    for (let n = 0; n < count; n += 1)
      await storeFile(app.t, owner.user, Buffer.from(`file ${n}`), { name: `f${n}.txt` });
    await owner.agent.get('/files').expect(200); // takes any flash, so the measured page writes no session
    return owner;
  }

  it('GET /api/files: the user, the page and its totals, each one plain statement', async () => {
    const owner = await ownerWithFiles(3);
    const { res, kinds, modelBuilt } = await statementsOf(() =>
      request(app.t.server)
        .get('/api/files')
        .set('Authorization', bearer(app.t, owner.user))
        .expect(200),
    );
    expect((res.body as { items: unknown[] }).items).toHaveLength(3);
    expect(kinds).toEqual(['SELECT files', 'SELECT files', 'SELECT users']);
    expect(modelBuilt).toEqual([]);
  });

  it('GET /files: session, user, page, totals and one GROUP BY for the comment counts', async () => {
    const owner = await ownerWithFiles(3);
    const { res, kinds, modelBuilt } = await statementsOf(() =>
      owner.agent.get('/files').expect(200),
    );
    expect(res.text).toContain('f2.txt');
    expect(kinds).toEqual([
      'SELECT comments',
      'SELECT files',
      'SELECT files',
      'SELECT sessions',
      'SELECT users',
    ]);
    expect(modelBuilt).toEqual([]);
  });

  it('a counted download: five statements, no second file or user lookup for the activity row', async () => {
    const owner = await ownerWithFiles(1);
    const [file] = (await app.t.deps.files.list(owner.user, listQuery)).items;
    const { res, kinds, modelBuilt } = await statementsOf(() =>
      owner.agent.get(`/files/${file.id}/download`).buffer(true).parse(binaryParser).expect(200),
    );
    expect((res.body as Buffer).toString()).toBe('file 0');
    expect(kinds).toEqual([
      'INSERT activities',
      'SELECT files',
      'SELECT sessions',
      'SELECT users',
      'UPDATE files',
    ]);
    expect(modelBuilt).toEqual([]);
    // What the statements wrote is what the model-built ones wrote: the count and the activity row.
    const after = await app.t.deps.files.findVisible(file.id, owner.user);
    expect(after.downloadCount).toBe(1);
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(file.updatedAt.getTime());
    const [event] = await app.t.deps.activity.listForFile(after, owner.user);
    expect(event).toMatchObject({
      type: 'download',
      userId: owner.user.id,
      userName: owner.user.username,
      fileId: file.id,
      fileOwnerId: owner.user.id,
      fileName: 'f0.txt',
    });
  });

  it("the raw activity INSERT keeps the model's checks and its millisecond timestamps", async () => {
    const store = createSqlActivityRepository(app.t.deps.models.Activity);
    const event = {
      type: 'download',
      userId: null,
      userName: null,
      fileId: newId(),
      fileOwnerId: null,
      fileName: "it's 100% ?",
      ip: '127.0.0.1',
      userAgent: 'x'.repeat(600),
    } as const;
    const written = await store.record(event);
    expect(written.userAgent).toHaveLength(USER_AGENT_MAX);
    expect(await store.listForFile(event.fileId, 5)).toEqual([written]);
    const bogus = { ...event, type: 'bogus' as ActivityType };
    await expect(store.record(bogus)).rejects.toBeInstanceOf(ValidationError);
    expect(await store.listForFile(event.fileId, 5)).toHaveLength(1);
  });
});

const listQuery = { sort: 'date', order: 'desc', page: 1, perPage: 20 } as const;
