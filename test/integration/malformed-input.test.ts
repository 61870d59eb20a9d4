import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { bearer, buildUser, csrfFrom } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';
import { OCTETS, TUS, tusMetadata } from '../helpers/tus';

/** A stack trace as Node prints it ("    at fn (file.ts:1:2)"), or an internal's name. */
const STACK = /\n\s+at |\.ts:\d+|node_modules|SQLITE_|ER_[A-Z_]+/;

/** The answer is the client's problem (4xx), with no stack or internal detail in the body. */
function expectClientProblem(res: request.Response): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.text).not.toMatch(STACK);
}

/** A multipart body by hand (supertest's attach always names the part). */
function multipart(boundary: string, head: string, body: string): string {
  return [`--${boundary}`, head, '', body, `--${boundary}--`, ''].join('\r\n');
}

describe.each(DATABASES)('malformed input answers 4xx, never 5xx (%s)', (db) => {
  let t: TestApp;
  let auth: string;

  beforeAll(async () => {
    // Development mode shows internals in 500s: any that slips through shows its stack here.
    t = await buildTestApp({ db, env: { NODE_ENV: 'development' } });
    auth = bearer(t, (await buildUser(t)).user);
  });
  afterAll(() => t.close());

  describe('POST /api/uploads/ (tus)', () => {
    it.each([
      ['Upload-Defer-Length: 1', { 'Upload-Defer-Length': '1' }],
      ['Upload-Concat: partial', { 'Upload-Concat': 'partial', 'Upload-Length': '10' }],
      ['Upload-Concat: final;...', { 'Upload-Concat': 'final;/api/uploads/a /api/uploads/b' }],
    ])('refuses %s (an extension Depot does not offer) with 400', async (_what, headers) => {
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set(headers)
        .set('Upload-Metadata', tusMetadata({ filename: 'a.bin' }));
      expectClientProblem(res);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/not (supported|offered)/i);
      expect(res.headers.location).toBeUndefined();
      expect(await t.deps.models.Upload.count()).toBe(0);
    });

    it('answers 4xx to a file name with a NUL byte in Upload-Metadata', async () => {
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set('Upload-Length', '2')
        .set('Upload-Metadata', tusMetadata({ filename: 'a\u0000b.txt' }));
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(STACK);
    });

    it('refuses an Upload-Length that is not a number', async () => {
      const res = await request(t.server)
        .post('/api/uploads/')
        .set(TUS)
        .set('Authorization', auth)
        .set('Upload-Length', '12abc')
        .set('Content-Type', OCTETS);
      expectClientProblem(res);
    });
  });

  describe('POST /api/files (multipart)', () => {
    it.each([
      ['a file part without name=', 'Content-Disposition: form-data; filename="a.txt"'],
      ['a part that is not form-data', 'Content-Disposition: attachment; name="file"'],
      ['a part without Content-Disposition', 'Content-Type: text/plain'],
    ])('answers 400 to %s', async (_what, head) => {
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send(multipart('XYZ', `${head}\r\nContent-Type: text/plain`, 'hello'));
      expectClientProblem(res);
    });

    it('names the problem of a file part without name=', async () => {
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send(multipart('XYZ', 'Content-Disposition: form-data; filename="a.txt"', 'hello'));
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/needs a name/);
      expect(await t.deps.models.File.count()).toBe(0);
    });

    it('answers 4xx to a file name with a NUL byte', async () => {
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send(
          multipart(
            'XYZ',
            'Content-Disposition: form-data; name="file"; filename="a\u0000b.txt"',
            'hi',
          ),
        );
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(STACK);
    });

    it('answers 400 to a body that never closes its boundary', async () => {
      const res = await request(t.server)
        .post('/api/files')
        .set('Authorization', auth)
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nhel');
      expectClientProblem(res);
    });
  });

  describe('JSON bodies', () => {
    it('answers 400 or 415 to Content-Encoding: gzip on a body that is not gzip', async () => {
      const res = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send('{"username":"a","password":"b"}');
      expectClientProblem(res);
      expect([400, 415]).toContain(res.status);
    });

    it('still reads a JSON body that really is gzip', async () => {
      const res = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .serialize((body: Buffer) => body as never)
        .send(gzipSync('{"username":"nobody_here","password":"wrong password"}'));
      expect(res.status).toBe(401);
    });

    it('answers 415 to an encoding it does not know', async () => {
      const res = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'zstd-nope')
        .send('{}');
      expectClientProblem(res);
    });

    it.each([
      ['an array', '[]'],
      ['an array of objects', '[{"username":"a","password":"b"}]'],
      ['a string', '"hello"'],
      ['a number', '42'],
      ['null', 'null'],
      ['broken JSON', '{"username":'],
      ['fields of the wrong type', '{"username":["a"],"password":{"x":1}}'],
    ])('answers 4xx to %s where an object is expected (token)', async (_what, body) => {
      const res = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .send(body);
      expectClientProblem(res);
    });

    it('answers 4xx to an array where share options are expected', async () => {
      const res = await request(t.server)
        .post('/api/files/nope/shares')
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send('[1,2]');
      expectClientProblem(res);
    });
  });

  describe('sign-in', () => {
    it.each([
      ['a NUL byte', 'ab\u0000cd'],
      ['a lone surrogate', 'ab\ud800cd'],
      ['a very long name', 'a'.repeat(100_000)],
    ])('answers 4xx to a user name with %s (token endpoint)', async (_what, username) => {
      const res = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ username, password: 'whatever password' }));
      expectClientProblem(res);
    });

    it('answers 4xx to a user name with a NUL byte (sign-in form)', async () => {
      const agent = request.agent(t.server);
      const form = await agent.get('/login').expect(200);
      const res = await agent
        .post('/login')
        .type('form')
        .send(
          `_csrf=${encodeURIComponent(csrfFrom(form.text))}&username=ab%00cd&password=xyzxyzxyz`,
        );
      expectClientProblem(res);
    });

    it('answers 4xx to a registration with a NUL byte in the name', async () => {
      const agent = request.agent(t.server);
      const form = await agent.get('/register').expect(200);
      const res = await agent
        .post('/register')
        .type('form')
        .send(
          `_csrf=${encodeURIComponent(csrfFrom(form.text))}&username=ab%00cd&password=xyzxyzxyzxyz&password_confirmation=xyzxyzxyzxyz`,
        );
      expectClientProblem(res);
    });
  });

  describe('URLs and headers', () => {
    it.each([
      ['a bad percent-encoding in a file path', '/files/%E0%A4%A/download'],
      ['a bad percent-encoding in a share path', '/s/%zz/download'],
      ['a bad percent-encoding in an API path', '/api/files/%C0%AF'],
      ['a NUL in a path', '/files/%00'],
      ['a huge per_page', '/api/files?per_page=99999999999999999999'],
      ['a non-numeric page', '/api/files?page=abc'],
      ['a negative page', '/api/files?page=-1'],
      ['a repeated page', '/api/files?page=1&page=2'],
      ['a bracketed query', '/api/files?page[x]=1&per_page[]=2'],
      ['a non-numeric page on the files page', '/files?page=abc'],
    ])('answers 4xx or 200 to %s', async (_what, url) => {
      const res = await request(t.server).get(url).set('Authorization', auth);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(STACK);
    });

    it.each([
      ['Range', 'bytes=' + '0-1,'.repeat(2000) + '0-1'],
      ['If-None-Match', '"x", '.repeat(2000)],
      ['Accept', 'text/html;q=0.1, '.repeat(800)],
      ['Authorization', 'Bearer ' + 'a'.repeat(8000)],
    ])('answers 4xx or 200 to an over-long %s header', async (name, value) => {
      const res = await request(t.server)
        .get('/api/files')
        .set('Authorization', auth)
        .set(name, value);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(STACK);
    });

    it('answers 431 to a header block larger than 16 KiB', async () => {
      const res = await request(t.server)
        .get('/api/files')
        .set('Authorization', auth)
        .set('X-Padding', 'p'.repeat(20_000));
      expect(res.status).toBe(431);
    });
  });
});
