import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import request from 'supertest';
import { newId } from '../../src/lib/ids';
import { sendContent, strongEtag, type BodyStartInfo } from '../../src/http/content/send-content';
import { LocalDiskStorage } from '../../src/storage/local-disk';
import { binaryParser, parseByteranges } from '../helpers/binary';
import { makeTempDir } from '../helpers/databases';

const SIZE = 8 * 1024 * 1024 + 123; // several read chunks, odd length
const LAST_MODIFIED = new Date('2026-01-02T03:04:05.000Z');

describe('sendContent over LocalDiskStorage', () => {
  let dir: string;
  let storage: LocalDiskStorage;
  let key: string;
  let content: Buffer;
  let etag: string;
  let server: http.Server;
  let baseUrl: string;
  let starts: BodyStartInfo[];
  let bytesSent: number;
  let name: string;

  beforeAll(async () => {
    dir = makeTempDir();
    storage = new LocalDiskStorage(path.join(dir, 'uploads'));
    content = randomBytes(SIZE);
    key = newId();
    // Written straight to its storage path: this suite tests reading, not LocalDiskStorage.put.
    fs.mkdirSync(path.dirname(storage.pathFor(key)), { recursive: true });
    fs.writeFileSync(storage.pathFor(key), content);
    etag = strongEtag(createHash('sha256').update(content).digest('hex'));
    const app = new Koa();
    // Several tests hang up mid-body on purpose; Koa's default listener would print each abort.
    app.silent = true;
    app.use(async (ctx) => {
      await sendContent(ctx, {
        storage,
        key,
        size: SIZE,
        etag,
        lastModified: LAST_MODIFIED,
        name,
        type: 'application/octet-stream',
        disposition: ctx.query.inline ? 'inline' : 'attachment',
        cacheControl: 'private, no-cache',
        bytesSent: { inc: (n) => (bytesSent += n) },
        onBodyStart: (info) => void starts.push(info),
      });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    starts = [];
    bytesSent = 0;
    name = 'report.bin';
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = (headers: Record<string, string> = {}) =>
    request(server).get('/').set(headers).buffer(true).parse(binaryParser);

  describe('200', () => {
    it('sends the whole file byte-exact with every validator and safety header', async () => {
      const res = await get().expect(200);
      expect(Buffer.compare(res.body, content)).toBe(0);
      expect(res.headers).toMatchObject({
        'accept-ranges': 'bytes',
        etag,
        'last-modified': 'Fri, 02 Jan 2026 03:04:05 GMT',
        'content-length': String(SIZE),
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment; filename="report.bin"',
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-cache',
      });
      expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
      expect(starts).toEqual([{ fromByteZero: true, full: true }]);
      expect(bytesSent).toBe(SIZE);
    });

    it('answers HEAD with the same headers, no body and no download counted', async () => {
      const res = await request(server).head('/').expect(200);
      expect(res.headers['content-length']).toBe(String(SIZE));
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.body).toEqual({});
      expect(starts).toEqual([]);
    });

    it.each([
      ['a malformed range', 'bytes=abc'],
      ['another unit', 'items=0-5'],
      ['last before first', 'bytes=10-5'],
      ['a negative start', 'bytes=-5-10'],
      ['no equals sign', 'bytes 0-5'],
    ])('ignores %s and sends the whole file', async (_label, range) => {
      const res = await get({ Range: range }).expect(200);
      expect(res.headers['content-range']).toBeUndefined();
      expect(Buffer.compare(res.body, content)).toBe(0);
    });
  });

  describe('single range', () => {
    it.each([
      ['a-b', 'bytes=100-199', 100, 199],
      ['a-', `bytes=${SIZE - 10}-`, SIZE - 10, SIZE - 1],
      ['-n', 'bytes=-500', SIZE - 500, SIZE - 1],
      ['an end past the file (clamped)', `bytes=5-${SIZE * 2}`, 5, SIZE - 1],
      ['a suffix longer than the file (whole file)', `bytes=-${SIZE + 9}`, 0, SIZE - 1],
      ['the unit in upper case', 'BYTES=0-0', 0, 0],
    ])('answers 206 with Content-Range for %s', async (_label, range, start, end) => {
      const res = await get({ Range: range }).expect(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${SIZE}`);
      expect(res.headers['content-length']).toBe(String(end - start + 1));
      expect(res.headers['content-disposition']).toBe('attachment; filename="report.bin"');
      expect(Buffer.compare(res.body, content.subarray(start, end + 1))).toBe(0);
      expect(starts).toEqual([{ fromByteZero: start === 0, full: false }]);
    });

    it.each([`bytes=${SIZE}-`, `bytes=${SIZE + 100}-${SIZE + 200}`, 'bytes=-0'])(
      'answers 416 with Content-Range bytes */SIZE for %s',
      async (range) => {
        const res = await get({ Range: range }).expect(416);
        expect(res.headers['content-range']).toBe(`bytes */${SIZE}`);
        expect(starts).toEqual([]);
      },
    );

    it('answers HEAD with a Range with the 206 headers and no body', async () => {
      const res = await request(server).head('/').set('Range', 'bytes=10-19').expect(206);
      expect(res.headers['content-range']).toBe(`bytes 10-19/${SIZE}`);
      expect(res.headers['content-length']).toBe('10');
    });
  });

  describe('several ranges', () => {
    it('answers 206 multipart/byteranges with exact parts and length', async () => {
      const res = await get({ Range: 'bytes=0-9, 1000-1999,-16' }).expect(206);
      const type = res.headers['content-type'];
      expect(type).toMatch(/^multipart\/byteranges; boundary=[\w-]+$/);
      expect(res.headers['content-range']).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      const parts = parseByteranges(res.body, type);
      const spans = [
        [0, 9],
        [1000, 1999],
        [SIZE - 16, SIZE - 1],
      ];
      expect(parts).toHaveLength(3);
      parts.forEach((part, i) => {
        const [start, end] = spans[i];
        expect(part.headers).toEqual({
          'content-type': 'application/octet-stream',
          'content-range': `bytes ${start}-${end}/${SIZE}`,
        });
        expect(Buffer.compare(part.body, content.subarray(start, end + 1))).toBe(0);
      });
      expect(starts).toEqual([{ fromByteZero: true, full: false }]);
    });

    it('coalesces overlapping and adjacent ranges into one', async () => {
      const res = await get({ Range: 'bytes=0-99,50-149,150-199' }).expect(206);
      expect(res.headers['content-range']).toBe(`bytes 0-199/${SIZE}`);
      expect(Buffer.compare(res.body, content.subarray(0, 200))).toBe(0);
    });

    it('sends the whole file (200) for more than 16 ranges', async () => {
      const ranges = Array.from({ length: 17 }, (_, i) => `${i * 1000}-${i * 1000 + 1}`);
      const res = await get({ Range: `bytes=${ranges.join(',')}` }).expect(200);
      expect(res.body.length).toBe(SIZE);
    });

    it('keeps a heavily overlapping request no larger than the file', async () => {
      const ranges = Array.from({ length: 200 }, () => '0-');
      const res = await get({ Range: `bytes=${ranges.join(',')}` }).expect(206);
      expect(res.headers['content-range']).toBe(`bytes 0-${SIZE - 1}/${SIZE}`);
      expect(res.body.length).toBe(SIZE);
    });

    it('answers HEAD with several ranges with headers only', async () => {
      const res = await request(server).head('/').set('Range', 'bytes=0-1,10-11').expect(206);
      expect(res.headers['content-type']).toMatch(/^multipart\/byteranges/);
      expect(Number(res.headers['content-length'])).toBeGreaterThan(4);
    });
  });

  describe('conditional requests (RFC 9110 13.2.2)', () => {
    const date = LAST_MODIFIED.toUTCString();
    const later = new Date(LAST_MODIFIED.getTime() + 60_000).toUTCString();
    const earlier = new Date(LAST_MODIFIED.getTime() - 60_000).toUTCString();

    it.each([
      ['If-None-Match with the ETag', { 'If-None-Match': 'PLACEHOLDER' }],
      ['If-None-Match with the weak form of the ETag', { 'If-None-Match': 'W/PLACEHOLDER' }],
      ['If-None-Match: *', { 'If-None-Match': '*' }],
      ['If-None-Match in a list', { 'If-None-Match': '"x", PLACEHOLDER' }],
      ['If-Modified-Since the same date', { 'If-Modified-Since': date }],
      ['If-Modified-Since a later date', { 'If-Modified-Since': later }],
      [
        'If-None-Match even with Cache-Control: no-cache',
        { 'If-None-Match': 'PLACEHOLDER', 'Cache-Control': 'no-cache' },
      ],
    ])('answers 304 with validators and no body for %s', async (_label, headers) => {
      const set = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, v.replace('PLACEHOLDER', etag)]),
      );
      const res = await get(set).expect(304);
      expect(res.body.length).toBe(0);
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['last-modified']).toBe(date);
      expect(res.headers['cache-control']).toBe('private, no-cache');
      expect(starts).toEqual([]);
    });

    it.each([
      ['If-None-Match that does not match', { 'If-None-Match': '"other"' }],
      ['If-Modified-Since an earlier date', { 'If-Modified-Since': earlier }],
      ['If-Modified-Since that is not a date', { 'If-Modified-Since': 'yesterday' }],
      [
        'a non-matching If-None-Match, which overrides a fresh If-Modified-Since',
        { 'If-None-Match': '"other"', 'If-Modified-Since': later },
      ],
      ['If-Match with the ETag', { 'If-Match': 'PLACEHOLDER' }],
      ['If-Match: *', { 'If-Match': '*' }],
      ['If-Unmodified-Since the same date', { 'If-Unmodified-Since': date }],
      ['If-Unmodified-Since that is not a date', { 'If-Unmodified-Since': 'soon' }],
    ])('sends the file (200) for %s', async (_label, headers) => {
      const set = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, v.replace('PLACEHOLDER', etag)]),
      );
      const res = await get(set).expect(200);
      expect(Buffer.compare(res.body, content)).toBe(0);
    });

    it.each([
      ['If-Match with another ETag', { 'If-Match': '"other"' }],
      ['If-Match with the weak ETag (strong comparison)', { 'If-Match': 'W/PLACEHOLDER' }],
      ['If-Unmodified-Since an earlier date', { 'If-Unmodified-Since': earlier }],
      [
        'If-Match failing, even when If-None-Match would give 304',
        { 'If-Match': '"other"', 'If-None-Match': 'PLACEHOLDER' },
      ],
      [
        'If-Unmodified-Since failing before a Range is considered',
        { 'If-Unmodified-Since': earlier, Range: 'bytes=0-1' },
      ],
    ])('answers 412 for %s', async (_label, headers) => {
      const set = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, v.replace('PLACEHOLDER', etag)]),
      );
      const res = await get(set).expect(412);
      expect(res.headers['content-range']).toBeUndefined();
      expect(starts).toEqual([]);
    });

    it('lets a passing If-Match win over If-Unmodified-Since (which is then ignored)', async () => {
      await get({ 'If-Match': etag, 'If-Unmodified-Since': earlier }).expect(200);
    });

    it('answers 304 rather than 206 when If-None-Match matches a Range request', async () => {
      await get({ 'If-None-Match': etag, Range: 'bytes=0-1' }).expect(304);
    });

    it.each([
      ['the strong ETag', () => etag, 206],
      ['the exact Last-Modified date', () => date, 206],
      ['another ETag', () => '"other"', 200],
      ['the weak ETag (never matches)', () => `W/${etag}`, 200],
      ['a later date', () => later, 200],
      ['an invalid date', () => 'not a date', 200],
    ])('honours If-Range with %s', async (_label, value, status) => {
      const res = await get({ Range: 'bytes=5-9', 'If-Range': value() }).expect(status);
      const expected = status === 206 ? content.subarray(5, 10) : content;
      expect(Buffer.compare(res.body, expected)).toBe(0);
    });
  });

  describe('Content-Disposition', () => {
    it.each([
      ['quotes', 'say "hi".txt', 'attachment; filename="say \\"hi\\".txt"'],
      ['semicolons', 'a;b=c.txt', 'attachment; filename="a;b=c.txt"'],
      ['CR/LF', 'evil\r\nSet-Cookie: x=1.txt', 'attachment; filename="evil  Set-Cookie: x=1.txt"'],
      ['backslashes', 'a\\b.txt', 'attachment; filename="a_b.txt"'],
      [
        'non-ASCII',
        'résumé ünïcødé 文件.pdf',
        `attachment; filename="resume unic_de __.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%C3%BCn%C3%AFc%C3%B8d%C3%A9%20%E6%96%87%E4%BB%B6.pdf`,
      ],
      ['only controls', '\r\n', 'attachment; filename="download"'],
    ])('keeps the header intact for names with %s', async (_label, fileName, header) => {
      name = fileName;
      const res = await get({ Range: 'bytes=0-0' }).expect(206);
      expect(res.headers['content-disposition']).toBe(header);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('uses inline when asked', async () => {
      const res = await request(server).head('/?inline=1').expect(200);
      expect(res.headers['content-disposition']).toBe('inline; filename="report.bin"');
    });
  });

  describe('disconnects and resumption', () => {
    const storedPath = () => storage.pathFor(key);
    const openHandles = () =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === storedPath();
        } catch {
          return false; // the fd closed while we looked
        }
      }).length;
    const allFds = () => fs.readdirSync('/proc/self/fd').length;

    async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
      const until = Date.now() + ms;
      while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    }

    it('closes the file at once when clients disconnect mid-download (no descriptor leak)', async () => {
      const before = allFds();
      expect(openHandles()).toBe(0);
      for (let round = 0; round < 5; round += 1) {
        const sockets = await Promise.all(
          Array.from(
            { length: 10 },
            () =>
              new Promise<http.ClientRequest>((resolve, reject) => {
                const req = http.get(baseUrl, (res) => {
                  res.once('data', () => {
                    res.pause(); // a stalled reader: the server must be holding the file now
                    resolve(req);
                  });
                });
                req.on('error', reject);
              }),
          ),
        );
        expect(openHandles()).toBe(10);
        sockets.forEach((req) => req.destroy());
        await waitFor(() => openHandles() === 0);
        expect(openHandles()).toBe(0);
      }
      await waitFor(() => allFds() <= before);
      expect(allFds()).toBeLessThanOrEqual(before);
      expect(bytesSent).toBeLessThan(50 * SIZE); // stopped early, not read to the end
    });

    it('closes the parts of a multipart download when the client disconnects', async () => {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(baseUrl, { headers: { Range: 'bytes=0-99,-4000000' } }, (res) => {
          res.once('data', () => {
            res.pause();
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => undefined);
        req.on('close', () => resolve());
        setTimeout(() => reject(new Error('no data')), 5000);
      });
      await waitFor(() => openHandles() === 0);
      expect(openHandles()).toBe(0);
    });

    it('lets curl -C - resume an interrupted download into an identical file', async () => {
      const out = path.join(dir, 'resumed.bin');
      fs.writeFileSync(out, content.subarray(0, 3_000_001)); // what an interrupted run left
      const curl = spawn('curl', ['-sS', '-f', '-C', '-', '-o', out, baseUrl]);
      const code = await new Promise((resolve) => curl.on('close', resolve));
      expect(code).toBe(0);
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(sha(fs.readFileSync(out))).toBe(sha(content));
      expect(starts).toEqual([{ fromByteZero: false, full: false }]);
      expect(bytesSent).toBe(SIZE - 3_000_001);
    });
  });
});
