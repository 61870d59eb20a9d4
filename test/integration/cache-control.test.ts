import request from 'supertest';
import { bearer, signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { storeFile } from '../helpers/stored-files';

describe.each(DATABASES)('Cache-Control of private and public responses (%s)', (db) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ db });
  });
  afterAll(() => t.close());

  describe('signed-in pages', () => {
    it.each(['/files', '/files/new', '/account', '/activity', '/login'])(
      'sends no-store on %s',
      async (path) => {
        const { agent } = await signedInAgent(t);
        const res = await agent.get(path).expect(200);
        expect(res.headers['cache-control']).toBe('no-store');
      },
    );

    it('sends no-store on the file page and on an error page', async () => {
      const { agent, user } = await signedInAgent(t);
      const file = await storeFile(t, user, Buffer.from('mine'));
      const page = await agent.get(`/files/${file.id}`).expect(200);
      expect(page.headers['cache-control']).toBe('no-store');
      const missing = await agent.get('/files/no-such-file').expect(404);
      expect(missing.headers['cache-control']).toBe('no-store');
    });
  });

  describe('API JSON', () => {
    it.each(['/api/me', '/api/files'])('sends no-store on %s', async (path) => {
      const { user } = await signedInAgent(t);
      const res = await request(t.server)
        .get(path)
        .set('Authorization', bearer(t, user))
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('sends no-store on a refused call (401 problem)', async () => {
      const res = await request(t.server).get('/api/me').expect(401);
      expect(res.headers['cache-control']).toBe('no-store');
    });
  });

  describe('downloads', () => {
    it('lets only the browser keep a private download, with its validators', async () => {
      const { agent, user } = await signedInAgent(t);
      const file = await storeFile(t, user, Buffer.from('private bytes'));
      const res = await agent.get(`/files/${file.id}/download`).expect(200);
      expect(res.headers['cache-control']).toBe('private, no-cache');
      expect(res.headers.etag).toBeTruthy();
      await agent
        .get(`/files/${file.id}/download`)
        .set('If-None-Match', res.headers.etag)
        .expect(304);
    });

    it('keeps public, no-cache on a public file', async () => {
      const { user } = await signedInAgent(t);
      const file = await storeFile(t, user, Buffer.from('public bytes'), { visibility: 'public' });
      const res = await request(t.server).get(`/files/${file.id}/download`).expect(200);
      expect(res.headers['cache-control']).toBe('public, no-cache');
    });
  });

  describe('public assets', () => {
    it('keeps the immutable caching of built assets', async () => {
      const res = await request(t.server).get(t.deps.assets.url('css/app.css')).expect(200);
      expect(res.headers['cache-control']).toMatch(/immutable/);
    });

    it('keeps the hour of caching of public/ files', async () => {
      const res = await request(t.server).get('/css/app.css').expect(200);
      expect(res.headers['cache-control']).toBe('max-age=3600');
    });
  });
});
