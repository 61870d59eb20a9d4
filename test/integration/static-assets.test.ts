import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import request from 'supertest';
import { createRequestListener } from '../../src/server';
import { buildTestApp, type TestApp } from '../helpers/app';

const ROOT = path.resolve(__dirname, '../..');
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REQUEST_ID = /^[0-9a-f-]{36}$/;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request whose path goes on the wire exactly as written (no URL normalisation of `..`). */
function raw(
  server: http.Server,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: rawPath, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// Through the Koa app (as tests and the e2e server use it), and through the listener bin/www.ts uses,
// which answers fingerprinted assets before Koa: both must behave the same.
describe.each([
  ['the Koa app', (t: TestApp) => t.server],
  ['the bin/www.ts listener', (t: TestApp) => createRequestListener(t.app, t.deps)],
])('static assets through %s', (_name, makeHandler) => {
  let t: TestApp;
  let handler: http.RequestListener;
  let server: http.Server;
  let cssUrl: string;
  let cssFile: string;

  beforeAll(async () => {
    t = await buildTestApp();
    handler = makeHandler(t);
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cssUrl = t.deps.assets.url('css/app.css');
    cssFile = path.join(ROOT, 'public', cssUrl);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  describe('fingerprinted files (public/build)', () => {
    it('are what the pages link to, with a content hash in the name', async () => {
      expect(cssUrl).toMatch(/^\/build\/css\/app\.[0-9a-f]{10}\.css$/);
      const home = await request(handler).get('/').expect(200);
      expect(home.text).toContain(`href="${cssUrl}"`);
    });

    it('are cached for a year as immutable, with validators and a request id', async () => {
      const res = await request(handler).get(cssUrl).set('Accept-Encoding', 'identity').expect(200);
      expect(res.headers['cache-control']).toBe(IMMUTABLE);
      expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
      expect(new Date(res.headers['last-modified']).getTime()).toBe(
        Math.floor(fs.statSync(cssFile).mtimeMs / 1000) * 1000,
      );
      expect(res.headers.vary).toMatch(/accept-encoding/i);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBeUndefined();
      expect(res.text).toBe(fs.readFileSync(cssFile, 'utf8'));
    });

    it('send the brotli variant to a client that accepts br', async () => {
      const res = await raw(server, cssUrl, { 'Accept-Encoding': 'gzip, deflate, br' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.headers.vary).toMatch(/accept-encoding/i);
      expect(res.body.equals(fs.readFileSync(`${cssFile}.br`))).toBe(true);
      expect(zlib.brotliDecompressSync(res.body).equals(fs.readFileSync(cssFile))).toBe(true);
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
    });

    it('send the gzip variant to a client that accepts only gzip', async () => {
      const res = await raw(server, cssUrl, { 'Accept-Encoding': 'gzip' });
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(zlib.gunzipSync(res.body).equals(fs.readFileSync(cssFile))).toBe(true);
    });

    it.each<Record<string, string>>([
      {},
      { 'Accept-Encoding': 'identity' },
      { 'Accept-Encoding': 'br;q=0, gzip;q=0' },
      { 'Accept-Encoding': 'compress' },
    ])('send the plain file otherwise (%j)', async (headers) => {
      const res = await raw(server, cssUrl, headers);
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.equals(fs.readFileSync(cssFile))).toBe(true);
    });

    it('give each encoding its own ETag, so caches never mix them up', async () => {
      const br = await raw(server, cssUrl, { 'Accept-Encoding': 'br' });
      const gzip = await raw(server, cssUrl, { 'Accept-Encoding': 'gzip' });
      const plain = await raw(server, cssUrl);
      expect(new Set([br.headers.etag, gzip.headers.etag, plain.headers.etag]).size).toBe(3);
    });

    it('answer If-None-Match with 304, no body, and the request id', async () => {
      const first = await raw(server, cssUrl, { 'Accept-Encoding': 'br' });
      const res = await raw(server, cssUrl, {
        'Accept-Encoding': 'br',
        'If-None-Match': first.headers.etag as string,
      });
      expect(res.status).toBe(304);
      expect(res.body.length).toBe(0);
      expect(res.headers.etag).toBe(first.headers.etag);
      expect(res.headers['cache-control']).toBe(IMMUTABLE);
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });

    it('answer If-Modified-Since with 304', async () => {
      const first = await raw(server, cssUrl);
      const res = await raw(server, cssUrl, {
        'If-Modified-Since': first.headers['last-modified'] as string,
      });
      expect(res.status).toBe(304);
      expect(res.body.length).toBe(0);
    });

    it('send the whole file again for a stale ETag', async () => {
      const res = await raw(server, cssUrl, { 'If-None-Match': '"stale"' });
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(fs.statSync(cssFile).size);
    });

    it('answer HEAD with the headers and no body', async () => {
      const res = await request(handler).head(cssUrl).set('Accept-Encoding', 'br').expect(200);
      expect(res.headers['content-encoding']).toBe('br');
      expect(Number(res.headers['content-length'])).toBe(fs.statSync(`${cssFile}.br`).size);
      expect(res.headers['cache-control']).toBe(IMMUTABLE);
      expect(res.text ?? '').toBe('');
    });

    it('answer 404 for a fingerprint that does not exist', async () => {
      const res = await request(handler).get('/build/css/app.0000000000.css').expect(404);
      expect(res.headers['cache-control']).not.toBe(IMMUTABLE);
      // The 404 page is a document: it gets the page headers an asset does without.
      expect(res.type).toBe('text/html');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });
  });

  describe('access log and metrics', () => {
    it('log one line per asset response with its request id, and count it', async () => {
      const res = await raw(server, cssUrl, { 'Accept-Encoding': 'br' });
      const reqId = res.headers['x-request-id'] as string;
      let line: Record<string, unknown> | undefined;
      for (let attempt = 0; attempt < 50 && !line; attempt += 1) {
        line = t.logs.find((entry) => entry.reqId === reqId && entry.msg === 'request');
        if (!line) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(line).toMatchObject({ method: 'GET', route: '(static)', status: 200 });
      const metrics = await request(handler).get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /depot_http_requests_total\{method="GET",route="\(static\)",status="200"\} [1-9]/,
      );
    });
  });

  describe('other files under public/ (koa-static)', () => {
    const sourceCss = path.join(ROOT, 'public/css/app.css');

    it('are served with Last-Modified, short caching and a request id', async () => {
      const res = await request(handler).get('/css/app.css').expect(200);
      expect(res.text).toBe(fs.readFileSync(sourceCss, 'utf8'));
      expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(new Date(res.headers['last-modified']).getTime()).toBe(
        Math.floor(fs.statSync(sourceCss).mtimeMs / 1000) * 1000,
      );
      expect(res.headers['cache-control']).toBe('max-age=3600');
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });

    it('answer If-Modified-Since with 304, no body, and the request id', async () => {
      const first = await raw(server, '/css/app.css');
      const res = await raw(server, '/css/app.css', {
        'If-Modified-Since': first.headers['last-modified'] as string,
      });
      expect(res.status).toBe(304);
      expect(res.body.length).toBe(0);
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });

    it('send the file again when it changed since', async () => {
      const res = await raw(server, '/css/app.css', {
        'If-Modified-Since': new Date(0).toUTCString(),
      });
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(fs.statSync(sourceCss).size);
    });

    it('answer 404 (the styled page) for a missing file', async () => {
      const res = await request(handler).get('/css/missing.css').expect(404);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('Not Found');
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });
  });

  describe('directory traversal', () => {
    const secret = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');

    it.each([
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/build/../../package.json',
      '/build/%2e%2e/%2e%2e/package.json',
      '/css/..%2f..%2fpackage.json',
      '/css/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..%2fpackage.json',
      '/css/../../../../../../etc/passwd',
      '/css/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    ])('%s is 404 and never the file', async (rawPath) => {
      const res = await raw(server, rawPath);
      expect(res.status).toBe(404);
      const body = res.body.toString();
      expect(body).not.toContain('"devDependencies"');
      expect(body).not.toContain(secret.slice(0, 40));
      expect(body).not.toContain('root:x:0:0');
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
    });

    it('does not serve hidden files', async () => {
      const res = await raw(server, '/../.env.example');
      expect(res.status).toBe(404);
      expect(res.body.toString()).not.toContain('APP_KEYS');
    });
  });
});
