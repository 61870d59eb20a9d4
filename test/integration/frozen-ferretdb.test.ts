import request from 'supertest';
import { boundedAnswers } from '../helpers/bounded-answers';
import type { FileRecord } from '../../src/features/files/repository';
import type { TestApp } from '../helpers/app';
import { buildTestApp } from '../helpers/app';
import { bearer, signedInAgent } from '../helpers/agents';
import { binaryParser } from '../helpers/binary';
import { FERRETDB_BIN, startPrivateFerretdb } from '../helpers/ferretdb';
import type { PrivateServer } from '../helpers/private-servers';
import { storedFile } from '../helpers/stores';
import { eventually } from '../helpers/upload-checks';

jest.setTimeout(90_000);

/** Each MongoDB operation is bounded at 1.5 s here (DEPENDENCY_TIMEOUT, 5 s by default). */
const ENV = { DEPENDENCY_TIMEOUT: '1500ms' };
/** Every answer while FerretDB is away must come well before this (unbounded, the driver waits forever). */
const ANSWER_BOUND_MS = 8_000;
const WORDS = 'Depot cannot reach its comment store (MongoDB) right now.';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

const { timed, expect503 } = boundedAnswers(ANSWER_BOUND_MS);

const describeFerret = FERRETDB_BIN ? describe : describe.skip;

describeFerret(
  `a stopped or frozen FerretDB (comments, activity)${FERRETDB_BIN ? '' : ' [skipped: run .ci/ferretdb.sh and set TEST_FERRETDB_BIN]'}`,
  () => {
    let server: PrivateServer;
    let t: TestApp;
    let owner: Agent;
    let file: FileRecord;

    beforeAll(async () => {
      server = await startPrivateFerretdb();
      t = await buildTestApp({ env: { ...ENV, MONGODB_URI: `${server.url}/depot` } });
      owner = await signedInAgent(t);
      file = await storedFile(t, owner.user, { visibility: 'public', name: 'minutes.txt' });
      await eventually(async () => (await request(t.server).get('/readyz')).status === 200, 15_000);
      await t.deps.comments.add(file.id, owner.user, 'before the outage', {
        ip: '127.0.0.1',
        userAgent: 'test',
      });
    });
    afterAll(async () => {
      server?.thaw();
      await t?.close();
      await server?.stop();
    });

    /** The page, the comment API (read and write), a download and /readyz, all at once while it is away. */
    async function duringOutage() {
      const before = t.logs.length;
      const [page, form, activity, list, post, download, ready] = await Promise.all([
        timed(owner.agent.get(`/files/${file.id}`).set('Accept', 'text/html')),
        timed(
          owner.agent
            .post(`/files/${file.id}/comments`)
            .type('form')
            .send({ _csrf: owner.csrf, body: 'lost?' }),
        ),
        timed(owner.agent.get('/activity').set('Accept', 'text/html')),
        timed(
          request(t.server)
            .get(`/api/files/${file.id}/comments`)
            .set('Authorization', bearer(t, owner.user)),
        ),
        timed(
          request(t.server)
            .post(`/api/files/${file.id}/comments`)
            .set('Authorization', bearer(t, owner.user))
            .send({ body: 'lost?' }),
        ),
        timed(owner.agent.get(`/files/${file.id}/download`).buffer(true).parse(binaryParser)),
        timed(request(t.server).get('/readyz')),
      ]);
      // The file page itself does not need comments: it says they cannot be shown, in time.
      expect(page.res.status).toBe(200);
      expect(page.res.text).toContain('Comments cannot be shown right now.');
      expect(page.res.text).not.toContain('before the outage');
      expect(page.ms).toBeLessThan(ANSWER_BOUND_MS);
      expect503(form, WORDS);
      expect(form.res.headers['content-type']).toMatch(/text\/html/);
      expect503(activity, WORDS);
      expect503(list, 'comment store (MongoDB)');
      expect(list.res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect503(post, 'comment store (MongoDB)');
      // Downloads never wait for the activity store: the event is dropped and logged instead.
      expect(download.res.status).toBe(200);
      expect(download.ms).toBeLessThan(ANSWER_BOUND_MS);
      expect(ready.res.status).toBe(503);
      expect(ready.res.body.failing).toEqual(['mongodb']);
      await t.deps.activity.flush();
      const dropped = t.logs
        .slice(before)
        .filter((line) => line.msg === 'activity not recorded' && line.level === 50);
      expect(dropped.length).toBeGreaterThanOrEqual(1);
    }

    /** Everything works again: the old comment is there, a new one is stored, events are recorded. */
    async function recovered(body: string) {
      await eventually(async () => (await request(t.server).get('/readyz')).status === 200, 20_000);
      const page = await owner.agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain('before the outage');
      await request(t.server)
        .post(`/api/files/${file.id}/comments`)
        .set('Authorization', bearer(t, owner.user))
        .send({ body })
        .expect(201);
      const list = await request(t.server)
        .get(`/api/files/${file.id}/comments`)
        .set('Authorization', bearer(t, owner.user))
        .expect(200);
      expect(list.body.items.map((c: { body: string }) => c.body)).toContain(body);
      expect(list.body.items.map((c: { body: string }) => c.body)).not.toContain('lost?');
      await owner.agent.get(`/files/${file.id}/download`).buffer(true).parse(binaryParser);
      await t.deps.activity.flush();
      const events = await t.deps.activity.listForFile(file, owner.user);
      expect(events[0]).toMatchObject({ type: 'download' });
    }

    it('answers 503 naming the comment store while FerretDB is frozen (SIGSTOP), drops and logs activity, and recovers after SIGCONT', async () => {
      server.freeze();
      await duringOutage();
      server.thaw();
      await recovered('after the freeze');
    });

    it('answers 503 while FerretDB is killed, and recovers when it is started again on its data', async () => {
      await server.kill();
      await duringOutage();
      await server.restart();
      await recovered('after the restart');
    });
  },
);

describeFerret(
  `FerretDB down at start-up and started later${FERRETDB_BIN ? '' : ' [skipped: run .ci/ferretdb.sh and set TEST_FERRETDB_BIN]'}`,
  () => {
    it('starts without it, retries, then connects by itself, creates the indexes, reports pruning, and closes promptly', async () => {
      const server = await startPrivateFerretdb();
      await server.kill();
      const uri = `${server.url}/depot?serverSelectionTimeoutMS=300`;
      const t = await buildTestApp({ env: { ...ENV, MONGODB_URI: uri } });
      let closed = false;
      try {
        const down = await request(t.server).get('/readyz').expect(503);
        expect(down.body.details).toEqual({
          mongodb: { activityExpiry: 'not known until connected' },
        });
        await eventually(() => t.logs.some((line) => line.msg === 'mongodb unavailable, retrying'));
        await server.restart();
        // The retry loop backs off 0.5, 1, 2, 4 ... s: the returning server is found within seconds; the
        // detail names it once the indexes are made, just after /readyz turns 200.
        await eventually(async () => {
          const res = await request(t.server).get('/readyz');
          return res.status === 200 && res.body.details.mongodb.server !== undefined;
        }, 40_000);
        const up = await request(t.server).get('/readyz').expect(200);
        expect(up.body.details.mongodb).toEqual({
          server: 'FerretDB v1.24.2',
          activityExpiry: 'pruned hourly (the server refuses TTL indexes)',
        });
        expect(t.logs).toContainEqual(expect.objectContaining({ msg: 'mongodb indexes ready' }));
        const owner = await signedInAgent(t);
        const doc = await storedFile(t, owner.user, { visibility: 'public' });
        await request(t.server)
          .post(`/api/files/${doc.id}/comments`)
          .set('Authorization', bearer(t, owner.user))
          .send({ body: 'made it' })
          .expect(201);
        const closing = Date.now();
        await t.close();
        closed = true;
        expect(Date.now() - closing).toBeLessThan(ANSWER_BOUND_MS);
        expect(t.deps.readiness.find((check) => check.name === 'mongodb')).toBeDefined();
        await expect(
          t.deps.readiness.find((check) => check.name === 'mongodb')!.ping(),
        ).rejects.toThrow('not connected');
      } finally {
        if (!closed) await t.close();
        await server.stop();
      }
    });
  },
);
