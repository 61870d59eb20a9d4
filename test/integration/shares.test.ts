import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { FileRecord } from '../../src/features/files/repository';
import type { User } from '../../src/features/accounts/users-repository';
import { FAILED_ATTEMPTS_ALLOWED } from '../../src/features/accounts/rate-limit';
import { buildTestApp, type TestApp } from '../helpers/app';
import { bearer, csrfFrom, signedInAgent } from '../helpers/agents';
import { binaryParser } from '../helpers/binary';
import { DATABASES } from '../helpers/databases';
import { storeFile } from '../helpers/stored-files';

describe.each(DATABASES)('share links (%s)', (db) => {
  let t: TestApp;
  let owner: Awaited<ReturnType<typeof signedInAgent>>;
  let content: Buffer;
  let file: FileRecord;

  beforeAll(async () => {
    // With TEST_REDIS_URL, sessions (unlocks) and the password rate limit live in the real Redis.
    t = await buildTestApp({ db, redis: Boolean(process.env.TEST_REDIS_URL) });
    owner = await signedInAgent(t);
  });
  beforeEach(async () => {
    content = randomBytes(50_000);
    file = await storeFile(t, owner.user, content, { name: 'shared.bin' });
  });
  afterAll(() => t.close());

  const shareRow = (token: string) => t.deps.models.Share.findOne({ where: { token } });
  const fileCount = async () => (await t.deps.files.findOwned(file.id, owner.user)).downloadCount;
  const share = (
    input: { expiresIn?: number; maxDownloads?: number; password?: string } = {},
    user: User = owner.user,
  ) => t.deps.shares.create(user, file.id, input);
  const download = (
    token: string,
    headers: Record<string, string> = {},
    agent = request(t.server),
  ) => agent.get(`/s/${token}/download`).set(headers).buffer(true).parse(binaryParser);

  describe('POST /files/:id/shares', () => {
    it('creates a link for the owner (303 back to the file page, listed there with the download count)', async () => {
      const res = await owner.agent
        .post(`/files/${file.id}/shares`)
        .type('form')
        .send({
          _csrf: owner.csrf,
          expires_in: '86400',
          max_downloads: '3',
          password: 'open sesame',
        })
        .expect(303);
      expect(res.headers.location).toBe(`/files/${file.id}#shares`);
      const rows = await t.deps.models.Share.findAll({ where: { fileId: file.id } });
      expect(rows).toHaveLength(1);
      const row = rows[0];
      expect(row.token.length).toBeGreaterThanOrEqual(22);
      expect(row.maxDownloads).toBe(3);
      expect(row.passwordHash).toMatch(/^scrypt\$/);
      expect(row.passwordHash).not.toContain('open sesame');
      expect(Math.abs(new Date(row.expiresAt!).getTime() - Date.now() - 86_400_000)).toBeLessThan(
        60_000,
      );
      const page = await owner.agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain(`/s/${row.token}`);
      expect(page.text).toContain('0 of 3 downloads');
      expect(page.text).toContain('Share link created');
      expect(page.text).toMatch(/Downloaded 0 times/);
    });

    it('refuses without a CSRF token (403) and creates nothing', async () => {
      await owner.agent.post(`/files/${file.id}/shares`).type('form').send({}).expect(403);
      expect(await t.deps.models.Share.count({ where: { fileId: file.id } })).toBe(0);
    });

    it('shows what is wrong and creates nothing for bad fields', async () => {
      await owner.agent
        .post(`/files/${file.id}/shares`)
        .type('form')
        .send({ _csrf: owner.csrf, max_downloads: '0', password: '123' })
        .expect(303);
      expect(await t.deps.models.Share.count({ where: { fileId: file.id } })).toBe(0);
      const page = await owner.agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain('The share link was not created');
    });

    it('answers 404 to another user and creates nothing', async () => {
      const other = await signedInAgent(t);
      await other.agent
        .post(`/files/${file.id}/shares`)
        .type('form')
        .send({ _csrf: other.csrf })
        .expect(404);
      expect(await t.deps.models.Share.count({ where: { fileId: file.id } })).toBe(0);
      const page = await other.agent.get(`/files/${file.id}`);
      expect(page.text).not.toContain('Share links');
    });
  });

  describe('POST /api/files/:id/shares', () => {
    it('answers 201 with token, url, expires_at and max_downloads', async () => {
      const res = await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, owner.user))
        .send({ expires_in: 3600, max_downloads: 5, password: 'hunter22' })
        .expect(201);
      expect(res.body).toEqual({
        token: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/),
        url: expect.stringMatching(
          new RegExp(`^http://127\\.0\\.0\\.1(:\\d+)?/s/${res.body.token}$`),
        ),
        expires_at: expect.any(String),
        max_downloads: 5,
      });
      expect(await shareRow(res.body.token)).not.toBeNull();
      const open = await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, owner.user))
        .send({})
        .expect(201);
      expect(open.body).toMatchObject({ expires_at: null, max_downloads: null });
    });

    it('answers 422 naming each bad field', async () => {
      const res = await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, owner.user))
        .send({ expires_in: -5, max_downloads: 1.5, password: 42 })
        .expect(422);
      expect(res.type).toBe('application/problem+json');
      expect(
        Object.keys(res.body.errors ?? res.body.details ?? res.body.invalid_params ?? {}).sort(),
      ).toEqual(['expires_in', 'max_downloads', 'password']);
      const unknown = await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, owner.user))
        .send({ color: 'red' })
        .expect(422);
      expect(JSON.stringify(unknown.body)).toContain('color');
      expect(await t.deps.models.Share.count({ where: { fileId: file.id } })).toBe(0);
    });

    it('answers 401 without a token and 404 for another user', async () => {
      await request(t.server).post(`/api/files/${file.id}/shares`).send({}).expect(401);
      const other = await signedInAgent(t);
      await request(t.server)
        .post(`/api/files/${file.id}/shares`)
        .set('Authorization', bearer(t, other.user))
        .send({})
        .expect(404);
    });
  });

  describe('GET /s/:token', () => {
    it('shows the name, size and a download button to anyone with the link', async () => {
      const { token } = await share();
      const res = await request(t.server).get(`/s/${token}`).expect(200);
      expect(res.text).toContain('shared.bin');
      expect(res.text).toContain('50000 bytes');
      expect(res.text).toContain(`/s/${token}/download`);
    });

    it('previews safe types through /s/:token/view and never HTML inline', async () => {
      const image = await storeFile(t, owner.user, Buffer.from('PNG'), {
        name: 'p.png',
        type: 'image/png',
      });
      const html = await storeFile(t, owner.user, Buffer.from('<script>1</script>'), {
        name: 'p.html',
        type: 'text/html',
      });
      const imageShare = await t.deps.shares.create(owner.user, image.id, {});
      const htmlShare = await t.deps.shares.create(owner.user, html.id, {});
      expect((await request(t.server).get(`/s/${imageShare.token}`)).text).toContain(
        `/s/${imageShare.token}/view`,
      );
      const view = await request(t.server).get(`/s/${imageShare.token}/view`).expect(200);
      expect(view.headers['content-disposition']).toMatch(/^inline/);
      expect(view.headers['content-security-policy']).toContain('sandbox');
      const htmlView = await request(t.server).get(`/s/${htmlShare.token}/view`).expect(200);
      expect(htmlView.headers['content-disposition']).toMatch(/^attachment/);
      expect((await request(t.server).get(`/s/${htmlShare.token}`)).text).not.toContain('/view');
    });

    it('answers 404 for an unknown token', async () => {
      await request(t.server)
        .get(`/s/${'x'.repeat(43)}`)
        .expect(404);
      await request(t.server)
        .get(`/s/${'x'.repeat(43)}/download`)
        .expect(404);
    });
  });

  describe('expiry, limits and revocation', () => {
    it('answers 410 with a clear page once expired', async () => {
      const { token } = await share({ expiresIn: 3600 });
      await download(token).expect(200);
      await t.deps.models.Share.update(
        { expiresAt: new Date(Date.now() - 1000) },
        { where: { token } },
      );
      const page = await request(t.server).get(`/s/${token}`).expect(410);
      expect(page.text).toContain('This share link has expired.');
      await download(token).expect(410);
      await download(token, { Range: 'bytes=10-' }).expect(410);
    });

    it('allows max_downloads downloads, then 410 (the file count follows)', async () => {
      const { token } = await share({ maxDownloads: 2 });
      const before = await fileCount();
      for (let i = 0; i < 2; i += 1) {
        const res = await download(token).expect(200);
        expect(Buffer.compare(res.body, content)).toBe(0);
      }
      const gone = await download(token).expect(410);
      expect(gone.body.toString()).toContain('reached its download limit');
      // The 410 page is a styled page, not a sandboxed download.
      expect(gone.headers['content-security-policy']).toContain("style-src 'self'");
      expect(gone.headers['content-disposition']).toBeUndefined();
      await request(t.server).get(`/s/${token}`).expect(410);
      expect((await shareRow(token))!.downloadCount).toBe(2);
      expect(await fileCount()).toBe(before + 2);
    });

    it('lets exactly one of two concurrent downloads take the last slot', async () => {
      const { token } = await share({ maxDownloads: 1 });
      const results = await Promise.all([download(token), download(token)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 410]);
      expect(Buffer.compare(results.find((r) => r.status === 200)!.body, content)).toBe(0);
      expect((await shareRow(token))!.downloadCount).toBe(1);
      expect(await fileCount()).toBe(1);
    });

    it('never counts past the limit under load (3 slots, 12 concurrent downloads)', async () => {
      const { token } = await share({ maxDownloads: 3 });
      const results = await Promise.all(Array.from({ length: 12 }, () => download(token)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(3);
      expect(results.filter((r) => r.status === 410)).toHaveLength(9);
      expect((await shareRow(token))!.downloadCount).toBe(3);
    });

    it('lets the browser that took the last download resume it, but nobody else', async () => {
      const { token } = await share({ maxDownloads: 1 });
      const browser = request.agent(t.server);
      await download(token, { Range: 'bytes=0-999' }, browser).expect(206);
      const rest = await download(token, { Range: 'bytes=1000-' }, browser).expect(206);
      expect(Buffer.compare(rest.body, content.subarray(1000))).toBe(0);
      await download(token, { Range: 'bytes=1000-' }).expect(410);
      await download(token, {}, browser).expect(410);
      expect((await shareRow(token))!.downloadCount).toBe(1);
    });

    it('counts every body sent to a client without a grant, any range (not HEAD or 304)', async () => {
      const { token } = await share();
      await request(t.server).head(`/s/${token}/download`).expect(200);
      await download(token, { 'If-None-Match': `"${file.sha256}"` }).expect(304);
      expect((await shareRow(token))!.downloadCount).toBe(0);
      await download(token, { Range: 'bytes=500-' }).expect(206);
      await download(token, { Range: 'bytes=0-10' }).expect(206);
      await download(token).expect(200);
      expect((await shareRow(token))!.downloadCount).toBe(3);
      expect(await fileCount()).toBe(3);
    });

    it('revokes a link for its owner (410 afterwards) and refuses anyone else', async () => {
      const { token } = await share();
      const other = await signedInAgent(t);
      await other.agent
        .post(`/shares/${token}/delete`)
        .type('form')
        .send({ _csrf: other.csrf })
        .expect(404);
      await download(token).expect(200);
      await owner.agent.post(`/shares/${token}/delete`).type('form').send({}).expect(403);
      const res = await owner.agent
        .post(`/shares/${token}/delete`)
        .type('form')
        .send({ _csrf: owner.csrf })
        .expect(303);
      expect(res.headers.location).toBe(`/files/${file.id}#shares`);
      expect((await shareRow(token))!.revokedAt).not.toBeNull();
      const page = await request(t.server).get(`/s/${token}`).expect(410);
      expect(page.text).toContain('revoked');
      await download(token).expect(410);
    });

    it('removes the shares of a deleted file', async () => {
      const { token } = await share();
      await t.deps.files.remove(file.id, owner.user);
      expect(await shareRow(token)).toBeNull();
      await request(t.server).get(`/s/${token}`).expect(404);
    });
  });

  describe('password-protected links', () => {
    async function unlockForm(agent: ReturnType<typeof request.agent>, token: string) {
      const page = await agent.get(`/s/${token}`).expect(200);
      expect(page.text).toContain('This shared file is protected');
      expect(page.text).not.toContain('shared.bin');
      return csrfFrom(page.text);
    }

    it('asks for the password, refuses a wrong one, then remembers the right one in the session', async () => {
      const { token } = await share({ password: 'open sesame' });
      const guest = request.agent(t.server);
      const csrf = await unlockForm(guest, token);
      await download(token, {}, guest).expect(303).expect('Location', `/s/${token}`);
      const wrong = await guest
        .post(`/s/${token}`)
        .type('form')
        .send({ _csrf: csrf, password: 'nope' })
        .expect(401);
      expect(wrong.text).toContain('That password is wrong.');
      await guest
        .post(`/s/${token}`)
        .type('form')
        .send({ _csrf: csrf, password: 'open sesame' })
        .expect(303);
      expect((await guest.get(`/s/${token}`).expect(200)).text).toContain('shared.bin');
      const res = await download(token, {}, guest).expect(200);
      expect(Buffer.compare(res.body, content)).toBe(0);
      await download(token).expect(303); // another browser still needs the password
      expect((await shareRow(token))!.downloadCount).toBe(1);
    });

    it('rate-limits wrong passwords like sign-in (429 with Retry-After, even for the right one)', async () => {
      const { token } = await share({ password: 'open sesame' });
      const guest = request.agent(t.server);
      const csrf = await unlockForm(guest, token);
      for (let i = 0; i < FAILED_ATTEMPTS_ALLOWED; i += 1)
        await guest
          .post(`/s/${token}`)
          .type('form')
          .send({ _csrf: csrf, password: `wrong${i}` })
          .expect(401);
      const limited = await guest
        .post(`/s/${token}`)
        .type('form')
        .send({ _csrf: csrf, password: 'open sesame' })
        .expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      await download(token, {}, guest).expect(303);
    });
  });
});
