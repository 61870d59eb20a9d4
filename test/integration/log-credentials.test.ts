import type http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import request from 'supertest';
import { createServer } from '../../src/server';
import { bearer, buildUser } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';

const COOKIE_VALUE = 'sessioncookievalue0123456789abcdef';

/** Sends raw bytes over a real socket and resolves with everything the server answered. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

/** A request whose chunked body has the chunk size `zz`, carrying a bearer token and a session cookie. */
function malformedChunked(path: string, type: string, authorization: string): string {
  return [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Authorization: ${authorization}`,
    `Cookie: depot.sid=${COOKIE_VALUE}`,
    `Content-Type: ${type}`,
    'Transfer-Encoding: chunked',
    '',
    '5',
    '--XX\r',
    'zz',
    'not a chunk',
    '',
  ].join('\r\n');
}

describe('credentials in the log', () => {
  let t: TestApp;
  let server: http.Server;
  let port: number;
  let authorization: string;

  const logsSince = async (before: number) => {
    // Access lines are written when the response closes, just after the client saw it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return t.logs.slice(before).map((line) => JSON.stringify(line));
  };
  const expectNoCredentials = (lines: string[]) => {
    const token = authorization.slice('Bearer '.length);
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(COOKIE_VALUE);
      expect(line).not.toContain('rawPacket');
    }
  };

  beforeAll(async () => {
    t = await buildTestApp();
    server = createServer(t.server, t.deps.config.timeouts);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    authorization = bearer(t, (await buildUser(t)).user);
    // A body reader that meets the parser's error (as a body parser would) and lets it fly.
    const reader = new Router().post('/api/parser-error', () => {
      throw Object.assign(new Error('Parse Error: Invalid character in chunk size'), {
        code: 'HPE_INVALID_CHUNK_SIZE',
        rawPacket: Buffer.from(
          `Authorization: ${authorization}\r\nCookie: depot.sid=${COOKIE_VALUE}`,
        ),
      });
    });
    t.app.middleware.push(reader.routes() as never);
    server.removeAllListeners('request');
    server.on('request', t.app.callback());
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  describe('a malformed chunked body (chunk size zz)', () => {
    it.each([
      ['a JSON API body', '/api/files/x', 'application/json'],
      ['a sign-in form', '/login', 'application/x-www-form-urlencoded'],
      ['an API form upload', '/api/files', 'multipart/form-data; boundary=XX'],
      ['a tus creation', '/api/uploads', 'application/offset+octet-stream'],
    ])('answers 400 and logs neither the token nor the cookie (%s)', async (_what, path, type) => {
      const before = t.logs.length;
      const answer = await rawExchange(port, malformedChunked(path, type, authorization));
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      const lines = await logsSince(before);
      expectNoCredentials(lines);
      expect(t.logs.slice(before).filter((line) => Number(line.level) >= 40)).toEqual([]);
      // Nothing is left waiting for the body that will never come (a form upload once hung here for good).
      const active = await t.deps.metrics.activeUploads.get();
      expect(active.values[0]?.value ?? 0).toBe(0);
    });
  });

  it('answers 400 to a parser error that reaches the app, logged at info without the packet', async () => {
    const before = t.logs.length;
    const res = await request(server).post('/api/parser-error').set('Authorization', authorization);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/not valid HTTP/);
    const lines = await logsSince(before);
    expectNoCredentials(lines);
    expect(t.logs.slice(before).filter((line) => Number(line.level) >= 40)).toEqual([]);
    expect(t.logs.slice(before)).toContainEqual(
      expect.objectContaining({ msg: 'malformed request', code: 'HPE_INVALID_CHUNK_SIZE' }),
    );
  });

  describe('the error serializer', () => {
    it("writes a real parser error's type, code and message, never its raw packet", async () => {
      // The very error Node's parser raises for such a request, caught where Node reports it.
      const caught = new Promise<Error>((resolve) =>
        server.once('clientError', (err: Error, socket: net.Socket) => {
          socket.destroy();
          resolve(err);
        }),
      );
      await rawExchange(port, malformedChunked('/login', 'text/plain', authorization)).catch(
        () => '',
      );
      const parserError = await caught;
      expect(String((parserError as { rawPacket?: Buffer }).rawPacket)).toContain(COOKIE_VALUE);
      const before = t.logs.length;
      t.deps.logger.error({ err: parserError }, 'request failed');
      const lines = await logsSince(before);
      expectNoCredentials(lines);
      const logged = t.logs[before].err as Record<string, unknown>;
      expect(logged).toMatchObject({ type: 'Error', code: 'HPE_INVALID_CHUNK_SIZE' });
      expect(logged.message).toMatch(/chunk/i);
    });

    it('keeps no headers, config, request, response or body of any error, down the cause chain', async () => {
      const inner = Object.assign(new Error('upstream refused'), {
        code: 'E_UPSTREAM',
        headers: { authorization },
        body: { password: 'hunter2-inner' },
      });
      const outer = Object.assign(new Error('call failed', { cause: inner }), {
        status: 502,
        config: { headers: { Authorization: authorization } },
        request: { _header: `Cookie: depot.sid=${COOKIE_VALUE}` },
        response: { data: 'hunter2-response' },
        sql: "SELECT * FROM users WHERE password = 'hunter2-sql'",
      });
      const before = t.logs.length;
      t.deps.logger.warn({ err: outer }, 'call failed');
      const [line] = await logsSince(before);
      expectNoCredentials([line]);
      expect(line).not.toContain('hunter2');
      const logged = t.logs[before].err as Record<string, unknown>;
      expect(logged).toMatchObject({
        type: 'Error',
        message: 'call failed',
        status: 502,
        cause: { type: 'Error', message: 'upstream refused', code: 'E_UPSTREAM' },
      });
      expect(typeof logged.stack).toBe('string');
    });

    it('leaves a plain message as it is and stops on a cycle', async () => {
      const looped = new Error('looped') as Error & { cause?: unknown };
      looped.cause = looped;
      const before = t.logs.length;
      t.deps.logger.warn({ err: { message: 'redis down' }, error: 'plain words' }, 'x');
      t.deps.logger.warn({ err: looped }, 'y');
      await logsSince(before);
      expect(t.logs[before]).toMatchObject({
        err: { message: 'redis down' },
        error: 'plain words',
      });
      expect(JSON.stringify(t.logs[before + 1]).length).toBeLessThan(20_000);
    });
  });
});
