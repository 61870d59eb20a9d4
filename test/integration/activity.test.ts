import request from 'supertest';
import type { FileRecord } from '../../src/features/files/repository';
import { buildTestApp, type TestApp } from '../helpers/app';
import { csrfFrom, signedInAgent } from '../helpers/agents';
import { binaryParser } from '../helpers/binary';
import { STORES, buildStoreApp, storedFile, storedRows } from '../helpers/stores';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

// On SQLite and MariaDB, and on MongoDB (FerretDB in CI) when TEST_MONGODB_URI is set.
describe.each(STORES)('activity (%s)', (kind) => {
  let t: TestApp;
  let stored: ReturnType<typeof storedRows>;
  let owner: Agent;
  let visitor: Agent;
  let file: FileRecord;

  beforeAll(async () => {
    t = await buildStoreApp(kind);
    stored = storedRows(kind, t);
    owner = await signedInAgent(t);
    visitor = await signedInAgent(t);
  });
  beforeEach(async () => {
    file = await storedFile(t, owner.user, {
      visibility: 'public',
      name: 'report.txt',
      content: 'x'.repeat(4096),
    });
  });
  afterAll(async () => {
    await stored?.close();
    await t?.close();
  });

  /** The events stored for `fileId` (after the fire-and-forget writes have landed). */
  async function eventsOf(where: Record<string, unknown>) {
    await t.deps.activity.flush();
    return stored.events(where);
  }
  const download = (agent: Agent, headers: Record<string, string> = {}) =>
    agent.agent.get(`/files/${file.id}/download`).set(headers).buffer(true).parse(binaryParser);

  describe('recording', () => {
    it('records a form upload with who, from where and which file', async () => {
      const page = await owner.agent.get('/files/new').expect(200);
      const csrf = csrfFrom(page.text);
      await owner.agent
        .post('/files')
        .field('_csrf', csrf)
        .set('User-Agent', 'activity-test/1.0')
        .attach('files', Buffer.from('uploaded\n'), {
          filename: 'up.txt',
          contentType: 'text/plain',
        })
        .expect(303);
      const uploads = await eventsOf({ type: 'upload', userId: owner.user.id });
      expect(uploads).toHaveLength(1);
      expect(uploads[0]).toMatchObject({
        fileOwnerId: owner.user.id,
        fileName: 'up.txt',
        userName: owner.user.username,
        userAgent: 'activity-test/1.0',
      });
      expect(uploads[0].ip).toMatch(/127\.0\.0\.1|::1|::ffff:127\.0\.0\.1/);
    });

    it('records a full download once, and not again for resumed Range requests of it', async () => {
      await download(visitor).expect(200);
      await download(visitor, { Range: 'bytes=1000-' }).expect(206);
      await download(visitor, { Range: 'bytes=2000-2999' }).expect(206);
      const downloads = await eventsOf({ type: 'download', fileId: file.id });
      expect(downloads).toHaveLength(1);
      expect(downloads[0]).toMatchObject({ userId: visitor.user.id, fileOwnerId: owner.user.id });
      await download(visitor, { Range: 'bytes=0-99' }).expect(206);
      expect(await eventsOf({ type: 'download', fileId: file.id })).toHaveLength(2);
    });

    it('records share creation and share downloads (by anyone with the link)', async () => {
      await owner.agent
        .post(`/files/${file.id}/shares`)
        .type('form')
        .send({ _csrf: owner.csrf })
        .expect(303);
      const shares = await eventsOf({ type: 'share.create', fileId: file.id });
      expect(shares).toHaveLength(1);
      expect(shares[0].userId).toBe(owner.user.id);
      const row = await t.deps.models.Share.findOne({ where: { fileId: file.id } });
      // One browser: its resume carries the grant of its counted download, so it is no new download.
      const browser = request.agent(t.server);
      await browser.get(`/s/${row!.token}/download`).buffer(true).parse(binaryParser).expect(200);
      await browser
        .get(`/s/${row!.token}/download`)
        .set('Range', 'bytes=10-')
        .buffer(true)
        .parse(binaryParser)
        .expect(206);
      const shared = await eventsOf({ type: 'share.download', fileId: file.id });
      expect(shared).toHaveLength(1);
      expect(shared[0]).toMatchObject({ userId: null, fileOwnerId: owner.user.id });
    });

    it('records comments and sign-ins', async () => {
      await visitor.agent
        .post(`/files/${file.id}/comments`)
        .type('form')
        .send({ _csrf: visitor.csrf, body: 'hello' })
        .expect(303);
      expect(await eventsOf({ type: 'comment', fileId: file.id })).toMatchObject([
        { userId: visitor.user.id, fileOwnerId: owner.user.id, fileName: 'report.txt' },
      ]);
      const before = (await eventsOf({ type: 'signin', userId: owner.user.id })).length;
      await signedInAgent(t, { username: owner.user.username, password: owner.password });
      expect(await eventsOf({ type: 'signin', userId: owner.user.id })).toHaveLength(before + 1);
    });
  });

  describe('GET /activity', () => {
    it("shows the user's own events and others' events on their files, newest first, paginated", async () => {
      const reader = await signedInAgent(t);
      const mine = await storedFile(t, reader.user, { visibility: 'public', name: 'mine.txt' });
      await owner.agent
        .get(`/files/${mine.id}/download`)
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      await reader.agent
        .get(`/files/${file.id}/download`)
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      await t.deps.activity.flush();

      const page = await reader.agent.get('/activity').expect(200);
      const lines = [...page.text.matchAll(/data-type="([a-z.]+)"/g)].map((m) => m[1]);
      // Newest first: my download of report.txt, owner's download of mine.txt, my sign-in.
      expect(lines).toEqual(['download', 'download', 'signin']);
      expect(page.text).toContain(
        `${owner.user.username}\n    downloaded <a href="/files/${mine.id}">mine.txt</a>`,
      );
      expect(page.text).toMatch(/You\s+downloaded <a href="\/files\/[^"]+">report.txt<\/a>/);
      // The owner sees the reader's download of their file too, and not the reader's sign-in.
      const ownerPage = await owner.agent.get('/activity').expect(200);
      expect(ownerPage.text).toMatch(
        new RegExp(
          `${reader.user.username}\\s+downloaded <a href="/files/${file.id}">report.txt</a>`,
        ),
      );

      for (let n = 0; n < 21; n += 1)
        t.deps.activity.record({
          type: 'signin',
          userId: reader.user.id,
          ip: '10.0.0.1',
          userAgent: 't',
        });
      await t.deps.activity.flush();
      const first = await reader.agent.get('/activity').expect(200);
      expect(first.text).toContain('Page 1 of 2');
      const second = await reader.agent.get('/activity?page=2').expect(200);
      expect([...second.text.matchAll(/data-type="/g)]).toHaveLength(24 - 20);
    });

    it('sends guests to sign in', async () => {
      const res = await request(t.server).get('/activity').expect(303);
      expect(res.headers.location).toBe('/login?next=%2Factivity');
    });

    it("shows the file's last 10 events to its owner only, on the file page", async () => {
      for (let n = 0; n < 12; n += 1) await download(visitor).expect(200);
      await t.deps.activity.flush();
      const page = await owner.agent.get(`/files/${file.id}`).expect(200);
      const section = page.text.slice(page.text.indexOf('data-testid="file-activity"'));
      expect([...section.matchAll(/data-type="download"/g)]).toHaveLength(10);
      const other = await visitor.agent.get(`/files/${file.id}`).expect(200);
      expect(other.text).not.toContain('data-testid="file-activity"');
    });
  });

  // SQL only: it drops the table. MongoDB's failing store is a stopped FerretDB (frozen-ferretdb.test.ts).
  (kind === 'mongodb' ? describe.skip : describe)('a failing activity store', () => {
    it('never fails or slows the request; the failure is logged', async () => {
      const victim = await buildTestApp({ db: kind === 'mongodb' ? 'sqlite' : kind });
      try {
        const user = await signedInAgent(victim);
        const doc = await storedFile(victim, user.user, { visibility: 'public' });
        await victim.deps.activity.flush();
        await victim.deps.sequelize.getQueryInterface().dropTable('activities');
        const before = victim.logs.length;
        const started = Date.now();
        await user.agent
          .get(`/files/${doc.id}/download`)
          .buffer(true)
          .parse(binaryParser)
          .expect(200);
        await user.agent
          .post(`/files/${doc.id}/comments`)
          .type('form')
          .send({ _csrf: user.csrf, body: 'still works' })
          .expect(303);
        await signedInAgent(victim, { username: user.user.username, password: user.password });
        expect(Date.now() - started).toBeLessThan(5000);
        await victim.deps.activity.flush();
        const failures = victim.logs
          .slice(before)
          .filter((line) => line.msg === 'activity not recorded');
        expect(failures.length).toBeGreaterThanOrEqual(3);
        expect(await victim.deps.models.Comment.count({ where: { fileId: doc.id } })).toBe(1);
        // The page that reads activity still renders (without it) instead of failing.
        const page = await user.agent.get(`/files/${doc.id}`).expect(200);
        expect(page.text).toContain('still works');
        await user.agent.get('/activity').expect(500);
      } finally {
        await victim.close();
      }
    });
  });
});
