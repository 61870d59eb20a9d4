import fs from 'node:fs';
import { Readable } from 'node:stream';
import request from 'supertest';
import { newId } from '../../src/lib/ids';
import type { User } from '../../src/features/accounts/users-repository';
import { bearer, buildUser, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';

describe.each(DATABASES)('files API (%s)', (db) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ db });
  });
  afterAll(() => t.close());

  async function storeFile(owner: User, name: string, content = 'data', type = 'text/plain') {
    const key = newId();
    const stored = await t.deps.storage.put(key, Readable.from([Buffer.from(content)]));
    return t.deps.files.register({
      id: key,
      owner,
      name,
      type,
      size: stored.size,
      sha256: stored.sha256,
      storageKey: key,
    });
  }

  const FILE_KEYS = [
    'created_at',
    'download_url',
    'id',
    'name',
    'owner',
    'sha256',
    'size',
    'type',
    'updated_at',
    'visibility',
  ];

  describe('GET /api/files', () => {
    it('lists my files as {items, page, per_page, total} with q, sort, order and paging', async () => {
      const { user } = await buildUser(t);
      const other = await buildUser(t);
      for (const name of ['gamma.txt', 'alpha.txt', 'beta.md']) await storeFile(user, name, name);
      await storeFile(other.user, 'alpha-of-other.txt');
      const auth = bearer(t, user);
      const all = await request(t.server).get('/api/files').set('Authorization', auth).expect(200);
      expect(all.type).toBe('application/json');
      expect(all.body).toMatchObject({ page: 1, per_page: 20, total: 3 });
      expect(Object.keys(all.body.items[0]).sort()).toEqual(FILE_KEYS);
      const sorted = await request(t.server)
        .get('/api/files?sort=name&order=desc&per_page=2')
        .set('Authorization', auth)
        .expect(200);
      expect(sorted.body.items.map((item: { name: string }) => item.name)).toEqual([
        'gamma.txt',
        'beta.md',
      ]);
      expect(sorted.body).toMatchObject({ per_page: 2, total: 3 });
      const page2 = await request(t.server)
        .get('/api/files?sort=name&order=desc&per_page=2&page=2')
        .set('Authorization', auth)
        .expect(200);
      expect(page2.body.items.map((item: { name: string }) => item.name)).toEqual(['alpha.txt']);
      const search = await request(t.server)
        .get('/api/files?q=ALPHA')
        .set('Authorization', auth)
        .expect(200);
      expect(search.body.total).toBe(1);
      const capped = await request(t.server)
        .get('/api/files?per_page=1000')
        .set('Authorization', auth)
        .expect(200);
      expect(capped.body.per_page).toBe(100);
    });

    it('answers 422 naming a bad query parameter, and 401 without a token', async () => {
      const { user } = await buildUser(t);
      const res = await request(t.server)
        .get('/api/files?sort=colour&page=0')
        .set('Authorization', bearer(t, user))
        .expect(422);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.errors).toHaveProperty('sort');
      expect(res.body.errors).toHaveProperty('page');
      const guest = await request(t.server).get('/api/files').expect(401);
      expect(guest.type).toBe('application/problem+json');
    });
  });

  describe('GET /api/files/:id', () => {
    it('returns my file, a public file of another user, and 404 for a private one', async () => {
      const { user } = await buildUser(t);
      const other = await buildUser(t);
      const mine = await storeFile(user, 'mine.txt', 'abc');
      const theirsPublic = await storeFile(other.user, 'open.txt');
      await t.deps.files.update(theirsPublic.id, other.user, { visibility: 'public' });
      const theirsPrivate = await storeFile(other.user, 'closed.txt');
      const auth = bearer(t, user);
      const res = await request(t.server)
        .get(`/api/files/${mine.id}`)
        .set('Authorization', auth)
        .expect(200);
      expect(res.body).toEqual({
        id: mine.id,
        name: 'mine.txt',
        size: 3,
        type: 'text/plain',
        sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        visibility: 'private',
        created_at: mine.createdAt.toISOString(),
        updated_at: mine.updatedAt.toISOString(),
        owner: { id: user.id, username: user.username },
        download_url: `/api/files/${mine.id}/download`,
      });
      await request(t.server)
        .get(`/api/files/${theirsPublic.id}`)
        .set('Authorization', auth)
        .expect(200);
      const hidden = await request(t.server)
        .get(`/api/files/${theirsPrivate.id}`)
        .set('Authorization', auth)
        .expect(404);
      expect(hidden.type).toBe('application/problem+json');
      expect(hidden.body).toMatchObject({ status: 404, title: 'Not Found' });
      await request(t.server).get('/api/files/nope').set('Authorization', auth).expect(404);
    });
  });

  describe('PATCH /api/files/:id', () => {
    it('renames and changes visibility', async () => {
      const { user } = await buildUser(t);
      const file = await storeFile(user, 'old.txt');
      const res = await request(t.server)
        .patch(`/api/files/${file.id}`)
        .set('Authorization', bearer(t, user))
        .send({ name: 'new name ✓.txt', visibility: 'public' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'new name ✓.txt', visibility: 'public' });
      const row = await t.deps.models.File.findByPk(file.id);
      expect(row?.name).toBe('new name ✓.txt');
      expect(row?.visibility).toBe('public');
    });

    it('answers 422 naming the bad field and changes nothing', async () => {
      const { user } = await buildUser(t);
      const file = await storeFile(user, 'stay.txt');
      const auth = bearer(t, user);
      const cases: [Record<string, unknown>, string][] = [
        [{ visibility: 'secret' }, 'visibility'],
        [{ name: '' }, 'name'],
        [{ name: 42 }, 'name'],
        [{ name: 'x'.repeat(256) }, 'name'],
        [{ owner: 'someone' }, 'owner'],
      ];
      for (const [body, field] of cases) {
        const res = await request(t.server)
          .patch(`/api/files/${file.id}`)
          .set('Authorization', auth)
          .send(body)
          .expect(422);
        expect(res.type).toBe('application/problem+json');
        expect(Object.keys(res.body.errors)).toEqual([field]);
      }
      await request(t.server)
        .patch(`/api/files/${file.id}`)
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send('{"name": ')
        .expect(400);
      const row = await t.deps.models.File.findByPk(file.id);
      expect(row?.name).toBe('stay.txt');
      expect(row?.visibility).toBe('private');
    });

    it("answers 404 for another user's private file and 403 for their public one", async () => {
      const { user } = await buildUser(t);
      const other = await buildUser(t);
      const file = await storeFile(other.user, 'theirs.txt');
      const auth = bearer(t, user);
      await request(t.server)
        .patch(`/api/files/${file.id}`)
        .set('Authorization', auth)
        .send({ name: 'x' })
        .expect(404);
      await t.deps.files.update(file.id, other.user, { visibility: 'public' });
      await request(t.server)
        .patch(`/api/files/${file.id}`)
        .set('Authorization', auth)
        .send({ name: 'x' })
        .expect(403);
      expect((await t.deps.models.File.findByPk(file.id))?.name).toBe('theirs.txt');
    });
  });

  describe('DELETE /api/files/:id', () => {
    it('answers 204 and removes the row and the content; a second delete is 404', async () => {
      const { user } = await buildUser(t);
      const file = await storeFile(user, 'doomed.txt');
      const auth = bearer(t, user);
      const contentPath = t.deps.storage.pathFor(file.storageKey);
      await request(t.server)
        .delete(`/api/files/${file.id}`)
        .set('Authorization', auth)
        .expect(204);
      expect(await t.deps.models.File.findByPk(file.id)).toBeNull();
      expect(fs.existsSync(contentPath)).toBe(false);
      await request(t.server)
        .delete(`/api/files/${file.id}`)
        .set('Authorization', auth)
        .expect(404);
    });

    it("answers 404 for another user's private file and keeps it", async () => {
      const { user } = await buildUser(t);
      const other = await buildUser(t);
      const file = await storeFile(other.user, 'safe.txt');
      await request(t.server)
        .delete(`/api/files/${file.id}`)
        .set('Authorization', bearer(t, user))
        .expect(404);
      expect(await t.deps.models.File.findByPk(file.id)).not.toBeNull();
    });

    it('keeps the row when a cascade hook fails, so nothing points at missing content', async () => {
      const { user } = await buildUser(t);
      const file = await storeFile(user, 'hooked.txt');
      t.deps.files.onDelete(async (deleted) => {
        if (deleted.id === file.id) throw new Error('shares store unavailable');
      });
      await request(t.server)
        .delete(`/api/files/${file.id}`)
        .set('Authorization', bearer(t, user))
        .expect(500);
      expect(await t.deps.models.File.findByPk(file.id)).not.toBeNull();
      expect(fs.existsSync(t.deps.storage.pathFor(file.storageKey))).toBe(true);
    });
  });

  describe('start-up sweep', () => {
    it('removes old content that no row points at, and keeps content of files', async () => {
      const { user } = await buildUser(t);
      const kept = await storeFile(user, 'kept.txt');
      const orphanKey = newId();
      await t.deps.storage.put(orphanKey, Readable.from([Buffer.from('left behind by a crash')]));
      const freshKey = newId();
      await t.deps.storage.put(
        freshKey,
        Readable.from([Buffer.from('a tus upload finishing now')]),
      );
      const old = new Date(Date.now() - 2 * 3_600_000);
      fs.utimesSync(t.deps.storage.pathFor(orphanKey), old, old);
      fs.utimesSync(t.deps.storage.pathFor(kept.storageKey), old, old);
      t = await t.restart();
      expect(fs.existsSync(t.deps.storage.pathFor(orphanKey))).toBe(false);
      expect(fs.existsSync(t.deps.storage.pathFor(kept.storageKey))).toBe(true);
      expect(fs.existsSync(t.deps.storage.pathFor(freshKey))).toBe(true);
      expect(t.logs.some((line) => line.msg === 'removed orphaned file content')).toBe(true);
    });
  });

  describe('session cookie callers', () => {
    it('accepts the browser session with the X-CSRF-Token header and refuses it without', async () => {
      const { agent, csrf, user } = await signedInAgent(t);
      const file = await storeFile(user, 'browser.txt');
      await agent.patch(`/api/files/${file.id}`).send({ visibility: 'public' }).expect(401);
      await agent
        .patch(`/api/files/${file.id}`)
        .set('X-CSRF-Token', csrf)
        .send({ visibility: 'public' })
        .expect(200);
    });
  });
});
