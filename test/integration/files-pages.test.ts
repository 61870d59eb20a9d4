import fs from 'node:fs';
import { Readable } from 'node:stream';
import request from 'supertest';
import { newId } from '../../src/lib/ids';
import type { User } from '../../src/features/accounts/users-repository';
import { signedInAgent } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { fileRowCount } from '../helpers/upload-checks';

describe.each(DATABASES)('files pages (%s)', (db) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ db, env: { USER_QUOTA_BYTES: '1MiB' } });
  });
  afterAll(() => t.close());

  /** Stores `content` as a file of `owner` through the service, like an upload would. */
  async function storeFile(
    owner: User,
    name: string,
    content: string | Buffer,
    type = 'text/plain',
  ) {
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

  describe('GET /files', () => {
    it('shows the empty state pointing to the upload page', async () => {
      const { agent } = await signedInAgent(t);
      const res = await agent.get('/files').expect(200);
      expect(res.text).toContain('data-testid="empty-state"');
      expect(res.text).toContain('href="/files/new"');
      expect(res.text).toContain('0 B of 1 MiB used');
      expect(res.text).toMatch(/<meter[^>]+max="1048576" value="0"/);
    });

    it('lists only my files, with size, type, visibility and storage used', async () => {
      const me = await signedInAgent(t);
      const other = await signedInAgent(t);
      await storeFile(me.user, 'report.pdf', Buffer.alloc(2048), 'application/pdf');
      await storeFile(other.user, 'theirs.txt', 'secret');
      const res = await me.agent.get('/files').expect(200);
      expect(res.text).toContain('report.pdf');
      expect(res.text).toContain('2 KiB');
      expect(res.text).toContain('application/pdf');
      expect(res.text).toContain('private');
      expect(res.text).not.toContain('theirs.txt');
      expect(res.text).toContain('2 KiB of 1 MiB used');
      // The comments feature is wired: the table has its count column.
      expect(res.text).toContain('<th scope="col">Comments</th>');
    });

    it('searches by name (case-insensitive, literal % and _), sorts and paginates', async () => {
      const { agent, user } = await signedInAgent(t);
      const names = ['b-Notes.txt', 'a-notes.md', 'c-photo.png', '100%_done.txt'];
      for (const [index, name] of names.entries())
        await storeFile(user, name, 'x'.repeat((index + 1) * 10));
      const search = await agent.get('/files?q=NOTES').expect(200);
      expect(search.text).toContain('b-Notes.txt');
      expect(search.text).toContain('a-notes.md');
      expect(search.text).not.toContain('c-photo.png');
      const literal = await agent.get(`/files?q=${encodeURIComponent('%_')}`).expect(200);
      expect(literal.text).toContain('100%_done.txt');
      expect(literal.text).not.toContain('a-notes.md');
      const none = await agent.get('/files?q=zzz').expect(200);
      expect(none.text).toContain('No files match');

      const order = (html: string) =>
        names
          .filter((name) => html.includes(name))
          .sort((a, b) => html.indexOf(a) - html.indexOf(b));
      const byName = await agent.get('/files?sort=name&order=asc').expect(200);
      expect(order(byName.text)).toEqual([
        '100%_done.txt',
        'a-notes.md',
        'b-Notes.txt',
        'c-photo.png',
      ]);
      const bySize = await agent.get('/files?sort=size&order=desc').expect(200);
      expect(order(bySize.text)).toEqual([
        '100%_done.txt',
        'c-photo.png',
        'a-notes.md',
        'b-Notes.txt',
      ]);
      const byDate = await agent.get('/files?sort=date&order=asc').expect(200);
      expect(order(byDate.text)).toEqual(names);

      for (let i = 0; i < 26; i += 1)
        await storeFile(user, `bulk-${String(i).padStart(2, '0')}.txt`, 'y');
      const first = await agent.get('/files?sort=name&order=asc').expect(200);
      expect(first.text).toContain('Page 1 of 2 · 30 files');
      expect(first.text).toContain('rel="next"');
      expect((first.text.match(/data-testid="file-row"/g) ?? []).length).toBe(25);
      const second = await agent.get('/files?sort=name&order=asc&page=2').expect(200);
      expect((second.text.match(/data-testid="file-row"/g) ?? []).length).toBe(5);
      expect(second.text).toContain('c-photo.png');
      const beyond = await agent.get('/files?page=9').expect(200);
      expect(beyond.text).toContain('There is no page 9');
      await agent.get('/files?sort=nonsense&page=abc').expect(200);
    });

    it('sends guests to sign in', async () => {
      const res = await request(t.server).get('/files').expect(303);
      expect(res.headers.location).toBe('/login?next=%2Ffiles');
    });
  });

  describe('GET /files/new', () => {
    it('shows a plain multipart form whose first field is the CSRF token, never in its URL', async () => {
      const { agent, csrf } = await signedInAgent(t);
      const res = await agent.get('/files/new').expect(200);
      expect(res.text).toContain('enctype="multipart/form-data"');
      expect(res.text).toMatch(
        new RegExp(
          `<form method="post" action="/files" [^>]*>\\s*<input type="hidden" name="_csrf" value="${csrf}">`,
        ),
      );
      expect(res.text).not.toContain('_csrf=');
      expect(res.text).toMatch(/<input[^>]+name="files"[^>]+type="file"[^>]+multiple/);
    });
  });

  describe('GET /files/:id', () => {
    it('shows details, an escaped text preview, download and owner forms', async () => {
      const { agent, user } = await signedInAgent(t);
      const file = await storeFile(user, 'notes.txt', '<script>alert(1)</script> hello');
      const res = await agent.get(`/files/${file.id}`).expect(200);
      expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; hello');
      expect(res.text).not.toContain('<script>alert(1)');
      expect(res.text).toContain(file.sha256);
      expect(res.text).toContain(`href="/files/${file.id}/download"`);
      expect(res.text).toContain(`action="/files/${file.id}/delete"`);
      expect(res.text).toContain('data-confirm=');
    });

    it('shows only the first 64 KiB of a long text file', async () => {
      const { agent, user } = await signedInAgent(t);
      const file = await storeFile(user, 'long.log', 'a'.repeat(64 * 1024) + 'TAIL-MARKER');
      const res = await agent.get(`/files/${file.id}`).expect(200);
      expect(res.text).not.toContain('TAIL-MARKER');
      expect(res.text).toContain('Showing the first 64 KiB');
    });

    it('previews images, audio, video and PDF through /files/:id/view', async () => {
      const { agent, user } = await signedInAgent(t);
      const cases: [string, string, RegExp][] = [
        ['pic.png', 'image/png', /<img src="\/files\/[^"]+\/view"/],
        ['song.mp3', 'audio/mpeg', /<audio controls[^>]+src="\/files\/[^"]+\/view"/],
        ['clip.mp4', 'video/mp4', /<video controls[^>]+src="\/files\/[^"]+\/view"/],
        ['doc.pdf', 'application/pdf', /<iframe src="\/files\/[^"]+\/view"/],
      ];
      for (const [name, type, pattern] of cases) {
        const file = await storeFile(user, name, 'bytes', type);
        expect((await agent.get(`/files/${file.id}`).expect(200)).text).toMatch(pattern);
      }
      const svg = await storeFile(user, 'x.svg', '<svg onload="alert(1)"/>', 'image/svg+xml');
      const page = await agent.get(`/files/${svg.id}`).expect(200);
      expect(page.text).not.toMatch(/<img src="\/files\/[^"]+\/view"/);
    });

    it("answers 404 for another user's private file, a missing id and a malformed id", async () => {
      const owner = await signedInAgent(t);
      const other = await signedInAgent(t);
      const file = await storeFile(owner.user, 'private.txt', 'mine');
      const hidden = await other.agent.get(`/files/${file.id}`).expect(404);
      const missing = await other.agent.get('/files/AAAAAAAAAAAAAAAAAAAAAA').expect(404);
      expect(hidden.text).not.toContain('private.txt');
      expect(missing.text).toContain('There is nothing here');
      await other.agent.get('/files/..%2F..%2Fetc').expect(404);
      await request(t.server).get(`/files/${file.id}`).expect(404);
    });

    it('shows a public file to anyone, without the owner forms', async () => {
      const owner = await signedInAgent(t);
      const file = await storeFile(owner.user, 'public.txt', 'for all');
      await t.deps.files.update(file.id, owner.user, { visibility: 'public' });
      const res = await request(t.server).get(`/files/${file.id}`).expect(200);
      expect(res.text).toContain('public.txt');
      expect(res.text).not.toContain(`action="/files/${file.id}/delete"`);
    });
  });

  describe('POST /files/:id and POST /files/:id/delete', () => {
    it('renames (sanitized) and changes visibility, then the home page lists the public file', async () => {
      const { agent, csrf, user } = await signedInAgent(t);
      const file = await storeFile(user, 'draft.txt', 'text');
      const rename = await agent
        .post(`/files/${file.id}`)
        .type('form')
        .send({ _csrf: csrf, name: '  final\u202E/report.txt ' })
        .expect(303);
      expect(rename.headers.location).toBe(`/files/${file.id}`);
      expect((await t.deps.models.File.findByPk(file.id))?.name).toBe('report.txt');
      await agent
        .post(`/files/${file.id}`)
        .type('form')
        .send({ _csrf: csrf, visibility: 'public' })
        .expect(303);
      const page = await agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain('The file is now public');
      expect((await t.deps.models.File.findByPk(file.id))?.visibility).toBe('public');
      const home = await request(t.server).get('/').expect(200);
      expect(home.text).toContain(`href="/files/${file.id}"`);
      expect(home.text).toContain('report.txt');
    });

    it('shows the form again naming the bad field (422) and changes nothing', async () => {
      const { agent, csrf, user } = await signedInAgent(t);
      const file = await storeFile(user, 'keep.txt', 'text');
      const empty = await agent
        .post(`/files/${file.id}`)
        .type('form')
        .send({ _csrf: csrf, name: '   ' })
        .expect(422);
      expect(empty.text).toContain('Give the file a name.');
      const bad = await agent
        .post(`/files/${file.id}`)
        .type('form')
        .send({ _csrf: csrf, visibility: 'secret' })
        .expect(422);
      expect(bad.text).toContain('Use &#39;private&#39; or &#39;public&#39;.');
      const row = await t.deps.models.File.findByPk(file.id);
      expect(row?.name).toBe('keep.txt');
      expect(row?.visibility).toBe('private');
    });

    it('refuses a change or delete without the CSRF token (403) and changes nothing', async () => {
      const { agent, user } = await signedInAgent(t);
      const file = await storeFile(user, 'guarded.txt', 'text');
      await agent.post(`/files/${file.id}`).type('form').send({ name: 'hacked.txt' }).expect(403);
      await agent
        .post(`/files/${file.id}/delete`)
        .type('form')
        .send({ _csrf: 'wrong' })
        .expect(403);
      const row = await t.deps.models.File.findByPk(file.id);
      expect(row?.name).toBe('guarded.txt');
      expect(fs.existsSync(t.deps.storage.pathFor(file.storageKey))).toBe(true);
    });

    it("answers 404 when changing or deleting another user's private file", async () => {
      const owner = await signedInAgent(t);
      const other = await signedInAgent(t);
      const file = await storeFile(owner.user, 'mine.txt', 'text');
      await other.agent
        .post(`/files/${file.id}`)
        .type('form')
        .send({ _csrf: other.csrf, name: 'x' })
        .expect(404);
      await other.agent
        .post(`/files/${file.id}/delete`)
        .type('form')
        .send({ _csrf: other.csrf })
        .expect(404);
      expect(await t.deps.models.File.findByPk(file.id)).not.toBeNull();
    });

    it('deletes the row and the content, runs cascade hooks first, then redirects with a flash', async () => {
      const { agent, csrf, user } = await signedInAgent(t);
      const file = await storeFile(user, 'bye.txt', 'gone soon');
      const contentPath = t.deps.storage.pathFor(file.storageKey);
      const seen: string[] = [];
      t.deps.files.onDelete(async (deleted) => {
        // A hook runs while the row and content still exist.
        if (
          deleted.id === file.id &&
          (await t.deps.models.File.findByPk(file.id)) &&
          fs.existsSync(contentPath)
        )
          seen.push(deleted.id);
      });
      const before = await fileRowCount(t);
      const res = await agent
        .post(`/files/${file.id}/delete`)
        .type('form')
        .send({ _csrf: csrf })
        .expect(303);
      expect(res.headers.location).toBe('/files');
      expect(seen).toEqual([file.id]);
      expect(await t.deps.models.File.findByPk(file.id)).toBeNull();
      expect(await fileRowCount(t)).toBe(before - 1);
      expect(fs.existsSync(contentPath)).toBe(false);
      expect((await agent.get('/files').expect(200)).text).toContain('Deleted bye.txt.');
      await agent.get(`/files/${file.id}`).expect(404);
    });
  });
});
