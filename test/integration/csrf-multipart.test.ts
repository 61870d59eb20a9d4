import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { buildUser, csrfFrom, signedInAgent } from '../helpers/agents';
import { sessionCookieHeader } from '../helpers/cookies';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { fileRowCount, walkFiles } from '../helpers/upload-checks';

const BOUNDARY = '----depot-csrf-test';

/** A multipart body written by hand, parts in the given order (supertest cannot put a field after a file). */
function multipart(parts: { name: string; value: string | Buffer; filename?: string }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = part.filename
      ? `form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: application/octet-stream`
      : `form-data; name="${part.name}"`;
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`));
    chunks.push(Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

describe.each(DATABASES)('POST /files: the CSRF token of a multipart form (%s)', (db) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ db });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.models.File.destroy({ where: {} });
    fs.rmSync(t.uploadDir, { recursive: true, force: true });
    fs.mkdirSync(t.uploadDir, { recursive: true });
  });

  /** Every file under the upload directory, temp files included. */
  const onDisk = () => walkFiles(t.uploadDir);

  function postRaw(agent: ReturnType<typeof request.agent>, url: string, body: Buffer) {
    return agent
      .post(url)
      .set('Content-Type', `multipart/form-data; boundary=${BOUNDARY}`)
      .send(body);
  }

  it('stores the files when the token is the first form field (the upload page)', async () => {
    const { agent, csrf } = await signedInAgent(t);
    const res = await agent
      .post('/files')
      .field('_csrf', csrf)
      .attach('files', Buffer.from('alpha'), 'alpha.txt')
      .attach('files', Buffer.from('beta'), 'beta.txt')
      .expect(303);
    expect(res.headers.location).toBe('/files');
    expect(await fileRowCount(t)).toBe(2);
    expect(onDisk()).toHaveLength(2);
  });

  it('keeps every byte of a multi-MiB file whose body head was read for the token', async () => {
    const { agent, csrf, user } = await signedInAgent(t);
    const content = randomBytes(6 * 1024 * 1024 + 17);
    await agent.post('/files').field('_csrf', csrf).attach('files', content, 'big.bin').expect(303);
    const [row] = await t.deps.models.File.findAll({ where: { ownerId: user.id } });
    expect(row.get('size')).toBe(content.length);
    expect(row.get('sha256')).toBe(createHash('sha256').update(content).digest('hex'));
    const stored = fs.readFileSync(t.deps.storage.pathFor(String(row.get('storageKey'))));
    expect(stored.equals(content)).toBe(true);
  });

  it('stores the files when the token follows other text fields, before the files', async () => {
    const { agent, csrf } = await signedInAgent(t);
    const body = multipart([
      { name: 'note', value: 'hello\r\nthere' },
      { name: '_csrf', value: csrf },
      { name: 'files', value: 'alpha', filename: 'alpha.txt' },
    ]);
    await postRaw(agent, '/files', body).expect(303);
    expect(await fileRowCount(t)).toBe(1);
  });

  it('stores the files when the token comes in the X-CSRF-Token header (the JS uploader)', async () => {
    const { agent, csrf } = await signedInAgent(t);
    await agent
      .post('/files')
      .set('X-CSRF-Token', csrf)
      .attach('files', Buffer.from('alpha'), 'alpha.txt')
      .expect(303);
    expect(await fileRowCount(t)).toBe(1);
  });

  it('answers 403 and stores nothing when the token is only in the query string', async () => {
    const { agent, csrf } = await signedInAgent(t);
    const res = await agent
      .post(`/files?_csrf=${encodeURIComponent(csrf)}`)
      .attach('files', Buffer.from('alpha'), 'alpha.txt')
      .expect(403);
    expect(res.text).toContain('Reload the page and try again');
    expect(await fileRowCount(t)).toBe(0);
    expect(onDisk()).toEqual([]);
  });

  it.each([
    ['a wrong token', (csrf: string) => [{ name: '_csrf', value: `${csrf.slice(1)}x` }]],
    ['an empty token', () => [{ name: '_csrf', value: '' }]],
    ['no token at all', () => [{ name: 'note', value: 'x' }]],
    [
      'the token after the file',
      (csrf: string) => [
        { name: 'files', value: 'alpha', filename: 'alpha.txt' },
        { name: '_csrf', value: csrf },
      ],
    ],
    [
      'the token after 64 KiB of other fields',
      (csrf: string) => [
        { name: 'note', value: 'n'.repeat(64 * 1024) },
        { name: '_csrf', value: csrf },
      ],
    ],
  ])('answers 403 and stores nothing with %s', async (_what, fields) => {
    const { agent, csrf } = await signedInAgent(t);
    const parts = fields(csrf);
    const withFile = parts.some((part) => 'filename' in part)
      ? parts
      : [...parts, { name: 'files', value: 'alpha', filename: 'alpha.txt' }];
    await postRaw(agent, '/files', multipart(withFile)).expect(403);
    expect(await fileRowCount(t)).toBe(0);
    expect(onDisk()).toEqual([]);
  });

  it("answers 403 to another session's token", async () => {
    const mallory = await signedInAgent(t);
    const { agent } = await signedInAgent(t);
    await agent
      .post('/files')
      .field('_csrf', mallory.csrf)
      .attach('files', Buffer.from('alpha'), 'alpha.txt')
      .expect(403);
    expect(await fileRowCount(t)).toBe(0);
  });

  it('refuses a multipart post to any other page without a token (no route can skip the check)', async () => {
    const { agent, csrf } = await signedInAgent(t);
    await agent
      .post('/files')
      .field('_csrf', csrf)
      .attach('files', Buffer.from('keep me'), 'keep.txt')
      .expect(303);
    const [file] = await t.deps.models.File.findAll();
    const body = multipart([{ name: 'note', value: 'x' }]);
    await postRaw(agent, `/files/${file.get('id')}/delete`, body).expect(403);
    await postRaw(agent, '/logout', body).expect(403);
    expect(await fileRowCount(t)).toBe(1);
  });

  it('refuses a large upload with a wrong token before a byte reaches the disk, and closes the connection', async () => {
    const { user, password } = await buildUser(t);
    const form = await request(t.server).get('/login').expect(200);
    const signedIn = await request(t.server)
      .post('/login')
      .set('Cookie', sessionCookieHeader(form))
      .type('form')
      .send({ _csrf: csrfFrom(form.text), username: user.username, password })
      .expect(303);
    const cookie = sessionCookieHeader(signedIn);
    // The upload page gives the session its token, so the check really reads the body to compare.
    await request(t.server).get('/files/new').set('Cookie', cookie).expect(200);
    const server = http.createServer(t.server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const FILE_BYTES = 64 * 1024 * 1024;
    const seen: string[][] = [];
    let sent = 0;
    try {
      const { port } = server.address() as AddressInfo;
      const head = multipart([{ name: '_csrf', value: 'wrong-token' }]).subarray(
        0,
        -`--${BOUNDARY}--\r\n`.length,
      );
      const filePart = Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n`,
      );
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path: '/files',
            method: 'POST',
            agent: false,
            headers: {
              Cookie: cookie,
              'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
              'Content-Length': String(head.length + filePart.length + FILE_BYTES),
            },
          },
          resolve,
        );
        req.on('error', (err: NodeJS.ErrnoException) =>
          ['EPIPE', 'ECONNRESET'].includes(err.code ?? '') ? undefined : reject(err),
        );
        req.write(head);
        req.write(filePart);
        // File bytes keep coming until the answer; the disk is looked at before every write.
        const chunk = randomBytes(256 * 1024);
        const pump = () => {
          while (sent < FILE_BYTES && !req.destroyed) {
            seen.push(onDisk());
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
        };
        pump();
      });
      seen.push(onDisk());
      expect(res.statusCode).toBe(403);
      expect(res.headers.connection).toBe('close');
      // Answered without waiting for the body: the client was still sending its 64 MiB.
      expect(sent).toBeLessThan(FILE_BYTES);
      res.resume();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen.filter((files) => files.length > 0)).toEqual([]);
    expect(await fileRowCount(t)).toBe(0);
  });
});
