import request from 'supertest';
import type { FileRecord } from '../../src/features/files/repository';
import { PAGE_COMMENTS } from '../../src/features/comments/controller';
import type { TestApp } from '../helpers/app';
import { bearer, csrfFrom, signedInAgent } from '../helpers/agents';
import { STORES, buildStoreApp, storedFile, storedRows } from '../helpers/stores';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

// On SQLite and MariaDB, and on MongoDB (FerretDB in CI) when TEST_MONGODB_URI is set.
describe.each(STORES)('comments pages and API (%s)', (kind) => {
  let t: TestApp;
  let stored: ReturnType<typeof storedRows>;
  let owner: Agent;
  let reader: Agent;
  let stranger: Agent;
  let file: FileRecord;

  beforeAll(async () => {
    t = await buildStoreApp(kind);
    stored = storedRows(kind, t);
    owner = await signedInAgent(t);
    reader = await signedInAgent(t);
    stranger = await signedInAgent(t);
  });
  beforeEach(async () => {
    file = await storedFile(t, owner.user, { visibility: 'public', name: 'readme.txt' });
  });
  afterAll(async () => {
    await stored?.close();
    await t?.close();
  });

  const rows = (fileId = file.id) => stored.comments(fileId);
  const post = (agent: Agent, body: unknown, fileId = file.id) =>
    agent.agent.post(`/files/${fileId}/comments`).type('form').send({ _csrf: agent.csrf, body });
  const add = (agent: Agent, body: string, fileId = file.id) =>
    t.deps.comments.add(fileId, agent.user, body, { ip: '127.0.0.1', userAgent: 'test' });

  describe('POST /files/:id/comments', () => {
    it('adds a comment and shows it on the file page with its author and relative time', async () => {
      const res = await post(reader, 'Nice file!\nSecond line').expect(303);
      expect(res.headers.location).toBe(`/files/${file.id}#comments`);
      const saved = await rows();
      expect(saved.map((row) => [row.authorId, row.body])).toEqual([
        [reader.user.id, 'Nice file!\nSecond line'],
      ]);
      const page = await owner.agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain('data-testid="comment-body">Nice file!\nSecond line</p>');
      expect(page.text).toContain(reader.user.username);
      expect(page.text).toContain('just now');
    });

    it('renders script and attribute-breaking bodies as text, never as markup', async () => {
      const attacks = [
        '<script>alert(1)</script>',
        '"><img src=x onerror=alert(2)>',
        "'><svg onload=alert(3)>",
      ];
      for (const body of attacks) await post(reader, body).expect(303);
      const page = await request(t.server).get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.text).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
      expect(page.text).not.toContain('<script>alert(1)');
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).not.toContain('<svg onload');
      // The stored text is exactly what was typed: escaping happens on output only.
      expect((await rows()).map((row) => row.body).sort()).toEqual([...attacks].sort());
    });

    it('shows the form again with the message and what was typed when the body is blank or too long', async () => {
      await post(reader, '   ').expect(303);
      let page = await reader.agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain('aria-invalid="true" aria-describedby="e-comment-body"');
      expect(page.text).toContain('Write between 1 and 2000 characters.');
      const long = 'y'.repeat(2001);
      await post(reader, long).expect(303);
      page = await reader.agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain(`>${long}</textarea>`);
      // The draft is shown once, then forgotten.
      page = await reader.agent.get(`/files/${file.id}`).expect(200);
      expect(page.text).not.toContain(long);
      expect(await rows()).toHaveLength(0);
    });

    it('refuses a post without the CSRF token (403) and stores nothing', async () => {
      await reader.agent
        .post(`/files/${file.id}/comments`)
        .type('form')
        .send({ body: 'forged' })
        .expect(403);
      expect(await rows()).toHaveLength(0);
    });

    it("answers 404 for comments on another user's private file, exactly as for a missing file", async () => {
      const hidden = await storedFile(t, owner.user);
      const res = await post(stranger, 'let me in', hidden.id).expect(404);
      expect(res.text).toContain('There is nothing here');
      await post(stranger, 'let me in', 'AAAAAAAAAAAAAAAAAAAAAA').expect(404);
      expect(await rows(hidden.id)).toHaveLength(0);
      await stranger.agent.get(`/files/${hidden.id}`).expect(404);
    });

    it('lets guests read comments on public files but asks them to sign in to write', async () => {
      await add(reader, 'visible to all');
      const page = await request(t.server).get(`/files/${file.id}`).expect(200);
      expect(page.text).toContain('visible to all');
      expect(page.text).toContain('to comment.');
      expect(page.text).not.toContain('data-testid="comment-form"');
      expect(page.text).not.toContain('/delete" class="inline-form"');
    });
  });

  describe('comment list on the file page', () => {
    it('shows newest first, 10 per page, with links to older pages', async () => {
      for (let n = 1; n <= PAGE_COMMENTS + 3; n += 1) await add(reader, `comment number ${n}.`);
      const first = await owner.agent.get(`/files/${file.id}`).expect(200);
      const bodies = [...first.text.matchAll(/comment number (\d+)\./g)].map((m) => Number(m[1]));
      expect(bodies).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4]);
      expect(first.text).toContain(`?comments_page=2#comments`);
      const second = await owner.agent.get(`/files/${file.id}?comments_page=2`).expect(200);
      const older = [...second.text.matchAll(/comment number (\d+)\./g)].map((m) => Number(m[1]));
      expect(older).toEqual([3, 2, 1]);
      expect(second.text).toContain('Page 2 of 2');
    });

    it('offers delete only to the author and the file owner', async () => {
      const comment = await add(reader, 'deletable');
      const action = `action="/comments/${comment.id}/delete"`;
      expect((await reader.agent.get(`/files/${file.id}`)).text).toContain(action);
      expect((await owner.agent.get(`/files/${file.id}`)).text).toContain(action);
      expect((await stranger.agent.get(`/files/${file.id}`)).text).not.toContain(action);
    });

    it('shows the comment count in the files list', async () => {
      await add(reader, 'one');
      await add(stranger, 'two');
      const list = await owner.agent.get('/files').expect(200);
      const row = list.text.slice(list.text.indexOf(file.id));
      expect(row.slice(0, row.indexOf('</tr>'))).toMatch(/<td>2<\/td>/);
    });
  });

  describe('POST /comments/:id/delete', () => {
    it('lets the author delete their comment', async () => {
      const comment = await add(reader, 'oops');
      const res = await reader.agent
        .post(`/comments/${comment.id}/delete`)
        .type('form')
        .send({ _csrf: reader.csrf })
        .expect(303);
      expect(res.headers.location).toBe(`/files/${file.id}#comments`);
      expect(await rows()).toHaveLength(0);
    });

    it('lets the file owner delete anyone’s comment', async () => {
      const comment = await add(reader, 'spam');
      await owner.agent
        .post(`/comments/${comment.id}/delete`)
        .type('form')
        .send({ _csrf: owner.csrf })
        .expect(303);
      expect(await rows()).toHaveLength(0);
    });

    it('refuses others (403), a missing CSRF token (403) and unknown comments (404), deleting nothing', async () => {
      const comment = await add(reader, 'stays');
      await stranger.agent
        .post(`/comments/${comment.id}/delete`)
        .type('form')
        .send({ _csrf: stranger.csrf })
        .expect(403);
      await reader.agent.post(`/comments/${comment.id}/delete`).type('form').send({}).expect(403);
      await reader.agent
        .post(`/comments/${comment.id}/delete`)
        .type('form')
        .send({ _csrf: 'not-the-token' })
        .expect(403);
      await reader.agent
        .post('/comments/AAAAAAAAAAAAAAAAAAAAAA/delete')
        .type('form')
        .send({ _csrf: reader.csrf })
        .expect(404);
      expect(await rows()).toHaveLength(1);
    });

    it('sends guests to sign in', async () => {
      const comment = await add(reader, 'stays');
      const guest = request.agent(t.server);
      const csrf = csrfFrom((await guest.get('/login')).text);
      const res = await guest
        .post(`/comments/${comment.id}/delete`)
        .type('form')
        .send({ _csrf: csrf })
        .expect(303);
      expect(res.headers.location).toMatch(/^\/login\?next=/);
      expect(await rows()).toHaveLength(1);
    });
  });

  describe('deleting the file', () => {
    it('deletes its comments too', async () => {
      await add(reader, 'going');
      await add(owner, 'going too');
      await owner.agent
        .post(`/files/${file.id}/delete`)
        .type('form')
        .send({ _csrf: owner.csrf })
        .expect(303);
      expect(await rows()).toHaveLength(0);
    });
  });

  describe('GET/POST /api/files/:id/comments', () => {
    it('adds a comment (201) and lists newest first with the list shape', async () => {
      const created = await request(t.server)
        .post(`/api/files/${file.id}/comments`)
        .set('Authorization', bearer(t, reader.user))
        .send({ body: ' first ' })
        .expect(201);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        file_id: file.id,
        body: 'first',
        author: { id: reader.user.id, username: reader.user.username },
        edited_at: null,
      });
      await add(owner, 'second');
      await add(owner, 'third');
      const list = await request(t.server)
        .get(`/api/files/${file.id}/comments?per_page=2`)
        .set('Authorization', bearer(t, stranger.user))
        .expect(200);
      expect(list.body).toMatchObject({ page: 1, per_page: 2, total: 3 });
      expect(list.body.items.map((c: { body: string }) => c.body)).toEqual(['third', 'second']);
      const last = await request(t.server)
        .get(`/api/files/${file.id}/comments?page=2&per_page=2`)
        .set('Authorization', bearer(t, stranger.user))
        .expect(200);
      expect(last.body.items.map((c: { body: string }) => c.body)).toEqual(['first']);
      const capped = await request(t.server)
        .get(`/api/files/${file.id}/comments?per_page=500`)
        .set('Authorization', bearer(t, stranger.user))
        .expect(200);
      expect(capped.body.per_page).toBe(100);
    });

    it('answers 422 problems naming `body` or the bad query parameter', async () => {
      for (const payload of [
        { body: '' },
        { body: '  ' },
        { body: 'z'.repeat(2001) },
        {},
        { body: 7 },
      ]) {
        const res = await request(t.server)
          .post(`/api/files/${file.id}/comments`)
          .set('Authorization', bearer(t, reader.user))
          .send(payload)
          .expect(422);
        expect(res.type).toBe('application/problem+json');
        expect(res.body).toMatchObject({ status: 422, errors: { body: expect.any(String) } });
      }
      const bad = await request(t.server)
        .get(`/api/files/${file.id}/comments?per_page=lots&page=0`)
        .set('Authorization', bearer(t, reader.user))
        .expect(422);
      expect(Object.keys(bad.body.errors).sort()).toEqual(['page', 'per_page']);
      expect(await rows()).toHaveLength(0);
    });

    it("answers 404 for another user's private file and 401 without credentials", async () => {
      const hidden = await storedFile(t, owner.user);
      await add(owner, 'secret', hidden.id);
      const res = await request(t.server)
        .get(`/api/files/${hidden.id}/comments`)
        .set('Authorization', bearer(t, stranger.user))
        .expect(404);
      expect(res.type).toBe('application/problem+json');
      await request(t.server)
        .post(`/api/files/${hidden.id}/comments`)
        .set('Authorization', bearer(t, stranger.user))
        .send({ body: 'hi' })
        .expect(404);
      await request(t.server).get(`/api/files/${file.id}/comments`).expect(401);
      // A session cookie alone (no X-CSRF-Token) cannot write through the API.
      await reader.agent.post(`/api/files/${file.id}/comments`).send({ body: 'csrf' }).expect(401);
      expect(await rows(hidden.id)).toHaveLength(1);
      expect(await rows()).toHaveLength(0);
    });
  });

  describe('DELETE /api/comments/:id', () => {
    it('deletes for the author or the owner (204), refuses others (403), 404 for unknown ids', async () => {
      const mine = await add(reader, 'mine');
      const theirs = await add(reader, 'theirs');
      await request(t.server)
        .delete(`/api/comments/${mine.id}`)
        .set('Authorization', bearer(t, stranger.user))
        .expect(403);
      await request(t.server)
        .delete(`/api/comments/${mine.id}`)
        .set('Authorization', bearer(t, reader.user))
        .expect(204);
      await request(t.server)
        .delete(`/api/comments/${theirs.id}`)
        .set('Authorization', bearer(t, owner.user))
        .expect(204);
      const missing = await request(t.server)
        .delete(`/api/comments/${mine.id}`)
        .set('Authorization', bearer(t, owner.user))
        .expect(404);
      expect(missing.type).toBe('application/problem+json');
      expect(await rows()).toHaveLength(0);
    });
  });
});
