import request from 'supertest';
import type { User } from '../../src/features/accounts/users-repository';
import { signedInAgent } from '../helpers/agents';
import { DATABASES } from '../helpers/databases';
import { recordedTestApp } from '../helpers/statements';
import { storeFile } from '../helpers/stored-files';

/** A statement that reads the files table (the file lookup of a page view). */
const READS_FILES = /\bFROM\s+[`"]?files[`"]?(\s|$)/i;

describe.each(DATABASES)('GET /files/:id, one controller (%s)', (db) => {
  const app = recordedTestApp(db);

  const storeText = (owner: User, name: string, visibility: 'private' | 'public') =>
    storeFile(app.t, owner, Buffer.from('hello page'), { name, type: 'text/plain', visibility });

  /** The statements on the files table that answering `send()` ran. */
  async function fileReadsOf(send: () => Promise<request.Response>) {
    await app.t.deps.activity.flush();
    const { result: res, ran } = await app.recorder.during(send);
    return { res, reads: ran.filter((sql) => READS_FILES.test(sql)) };
  }

  it('looks the file up once for its owner, who sees shares, comments and activity', async () => {
    const { agent, user } = await signedInAgent(app.t);
    const file = await storeText(user, 'mine.txt', 'private');
    await app.t.deps.shares.create(user, file.id, {});
    await app.t.deps.comments.add(file.id, user, 'first!', { ip: '127.0.0.1', userAgent: 'test' });
    const { res, reads } = await fileReadsOf(() => agent.get(`/files/${file.id}`).expect(200));
    expect(reads).toHaveLength(1);
    expect(res.text).toContain('data-testid="text-preview">hello page');
    expect(res.text).toContain('data-testid="share-item"');
    expect(res.text).toContain('data-testid="comment-body">first!');
    expect(res.text).toContain('data-testid="file-activity"');
  });

  it('looks a public file up once for a signed-in reader, who sees comments but no shares or activity', async () => {
    const owner = await signedInAgent(app.t);
    const reader = await signedInAgent(app.t);
    const file = await storeText(owner.user, 'open.txt', 'public');
    await app.t.deps.shares.create(owner.user, file.id, {});
    const { res, reads } = await fileReadsOf(() =>
      reader.agent.get(`/files/${file.id}`).expect(200),
    );
    expect(reads).toHaveLength(1);
    expect(res.text).toContain('data-testid="comment-form"');
    expect(res.text).not.toContain('data-testid="file-shares"');
    expect(res.text).not.toContain('data-testid="file-activity"');
  });

  it('looks a public file up once for a guest, and once for a 404', async () => {
    const owner = await signedInAgent(app.t);
    const file = await storeText(owner.user, 'guest.txt', 'public');
    const shown = await fileReadsOf(() =>
      request(app.t.server).get(`/files/${file.id}`).expect(200),
    );
    expect(shown.reads).toHaveLength(1);
    expect(shown.res.text).toContain('Sign in</a> to comment.');
    const hidden = await storeText(owner.user, 'hidden.txt', 'private');
    const missing = await fileReadsOf(() =>
      request(app.t.server).get(`/files/${hidden.id}`).expect(404),
    );
    expect(missing.reads).toHaveLength(1);
  });

  it('shows the same page again for a refused rename (422), share links and comments included', async () => {
    const { agent, csrf, user } = await signedInAgent(app.t);
    const file = await storeText(user, 'kept.txt', 'private');
    await app.t.deps.shares.create(user, file.id, {});
    await app.t.deps.comments.add(file.id, user, 'still here', {
      ip: '127.0.0.1',
      userAgent: 'test',
    });
    const res = await agent
      .post(`/files/${file.id}`)
      .type('form')
      .send({ _csrf: csrf, name: '   ' })
      .expect(422);
    expect(res.text).toContain('Give the file a name.');
    expect(res.text).toContain('data-testid="share-item"');
    expect(res.text).toContain('data-testid="comment-body">still here');
  });
});
