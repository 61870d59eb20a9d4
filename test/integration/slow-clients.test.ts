import type http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import { createServer, createRequestListener } from '../../src/server';
import { buildTestApp, type TestApp } from '../helpers/app';
import { bearer, buildUser } from '../helpers/agents';
import { createUpload, OCTETS, patchUpload, TUS } from '../helpers/tus';
import { eventually, fileRowCount, walkFiles } from '../helpers/upload-checks';

jest.setTimeout(30_000);

/** Short limits, so each behaviour shows within seconds; production defaults are 20 s, 30 s and 60 s. */
const LIMITS = {
  HEADERS_TIMEOUT: '1500ms',
  BODY_IDLE_TIMEOUT: '2s',
  BODY_TIMEOUT: '4s',
  APP_KEYS: 'slow-clients-test-cookie-key-0123456789',
  JWT_SECRET: 'slow-clients-test-jwt-secret-0123456789',
};

interface RawReply {
  /** Everything the server sent before closing. */
  text: string;
  /** Milliseconds from connecting to the server closing the socket. */
  closedAfterMs: number;
}

/** A raw client: `script` writes to the socket at its own pace; resolves once the server closes it. */
function rawExchange(
  port: number,
  script: (socket: net.Socket, closed: () => boolean) => Promise<void>,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    // A reset after the answer still counts as closed by the server: the answer was read before it.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.once('connect', () => {
      script(socket, () => closed).catch(reject);
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `body` in `pieces` pieces, one every `everyMs`, stopping early if the server closed the socket. */
async function trickle(
  socket: net.Socket,
  closed: () => boolean,
  body: Buffer,
  pieces: number,
  everyMs: number,
): Promise<void> {
  const size = Math.ceil(body.length / pieces);
  for (let at = 0; at < body.length && !closed(); at += size) {
    socket.write(body.subarray(at, at + size));
    await pause(everyMs);
  }
}

function head(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ Host: 'depot.test', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

function multipartBody(boundary: string, content: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

// Body and head timing does not depend on the database: SQLite only, to keep the suite short.
describe('slow clients', () => {
  let t: TestApp;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    t = await buildTestApp({ env: LIMITS });
    server = createServer(createRequestListener(t.app, t.deps), t.deps.config.timeouts);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  describe('request head', () => {
    it('answers 408 and closes a connection whose head is still unfinished after HEADERS_TIMEOUT', async () => {
      const reply = await rawExchange(port, async (socket, closed) => {
        socket.write('GET / HTTP/1.1\r\nHost: depot.test\r\n');
        // One header byte every 300 ms: always active, never finished.
        while (!closed()) {
          socket.write('X');
          await pause(300);
        }
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 408 /);
      // 1.5 s limit, checked every second by Node: well under the 30 s of Node's default check.
      expect(reply.closedAfterMs).toBeGreaterThanOrEqual(1400);
      expect(reply.closedAfterMs).toBeLessThan(10_000);
    });
  });

  describe('POST /login', () => {
    it('answers a 408 page with Connection: close and drops the connection when the body stops arriving', async () => {
      const reply = await rawExchange(port, async (socket) => {
        socket.write(
          head('POST', '/login', {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': 100,
            Accept: 'text/html',
          }),
        );
        socket.write('username=alice&pass');
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply.text).toMatch(/\r\nconnection: close\r\n/i);
      expect(reply.text).toMatch(/content-type: text\/html/i);
      expect(reply.text).toContain('nothing came for 2 s');
      expect(reply.closedAfterMs).toBeLessThan(10_000);
    });

    it('answers 408 once BODY_TIMEOUT passes even while bytes keep trickling in', async () => {
      const body = Buffer.from(`username=alice&password=${'x'.repeat(200)}`);
      const reply = await rawExchange(port, async (socket, closed) => {
        socket.write(
          head('POST', '/login', {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': body.length,
          }),
        );
        // 200 pieces, one every 250 ms (50 s in all): never idle for 2 s, far past the 4 s total.
        await trickle(socket, closed, body, 200, 250);
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply.text).toContain('took longer than 4 s');
      expect(reply.closedAfterMs).toBeGreaterThanOrEqual(3900);
      expect(reply.closedAfterMs).toBeLessThan(15_000);
    });
  });

  describe('POST /api/auth/token', () => {
    it('answers a 408 problem when the JSON body stops arriving', async () => {
      const reply = await rawExchange(port, async (socket) => {
        socket.write(
          head('POST', '/api/auth/token', {
            'Content-Type': 'application/json',
            'Content-Length': 60,
          }),
        );
        socket.write('{"username":"alice",');
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply.text).toMatch(/content-type: application\/problem\+json/i);
      expect(reply.text).toContain('"code":"REQUEST_TIMEOUT"');
    });
  });

  describe('POST /api/files', () => {
    it('keeps an upload that trickles in past BODY_TIMEOUT, as long as no gap reaches the idle timeout', async () => {
      const { user } = await buildUser(t);
      const content = Buffer.alloc(64 * 1024, 7);
      const body = multipartBody('slowboundary', content);
      const reply = await rawExchange(port, async (socket, closed) => {
        socket.write(
          head('POST', '/api/files', {
            Authorization: bearer(t, user),
            'Content-Type': 'multipart/form-data; boundary=slowboundary',
            'Content-Length': body.length,
            Connection: 'close',
          }),
        );
        // 24 pieces, one every 250 ms: 6 s in all, past the 4 s total limit of other routes.
        await trickle(socket, closed, body, 24, 250);
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 201 /);
      expect(reply.closedAfterMs).toBeGreaterThanOrEqual(5500);
      expect(await t.deps.models.File.count({ where: { ownerId: user.id } })).toBe(1);
    });

    it('answers 408 and keeps no byte and no row of an upload whose body stops arriving', async () => {
      const { user } = await buildUser(t);
      const rowsBefore = await fileRowCount(t);
      const filesBefore = walkFiles(t.uploadDir).sort();
      const body = multipartBody('stallboundary', Buffer.alloc(256 * 1024, 1));
      const reply = await rawExchange(port, async (socket) => {
        socket.write(
          head('POST', '/api/files', {
            Authorization: bearer(t, user),
            'Content-Type': 'multipart/form-data; boundary=stallboundary',
            'Content-Length': body.length,
          }),
        );
        socket.write(body.subarray(0, 100 * 1024));
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply.text).toContain('"code":"REQUEST_TIMEOUT"');
      // The receiver removes its temp file once it sees the request aborted, just after the answer.
      await eventually(
        () => JSON.stringify(walkFiles(t.uploadDir).sort()) === JSON.stringify(filesBefore),
      );
      expect(await fileRowCount(t)).toBe(rowsBefore);
      // The receiver let go of the request (it would hang on a body that never ends otherwise).
      await eventually(
        async () => (await t.deps.metrics.activeUploads.get()).values[0].value === 0,
      );
    });
  });

  describe('a body the handler does not read', () => {
    it('answers at once and drops the connection BODY_IDLE_TIMEOUT later, though bytes keep trickling in', async () => {
      let answeredAfterMs = -1;
      const started = Date.now();
      const reply = await rawExchange(port, async (socket, closed) => {
        socket.once('data', () => (answeredAfterMs = Date.now() - started));
        // No credentials: 401 before a byte of the body is read; Node would discard the rest forever.
        socket.write(
          head('POST', '/api/files', {
            'Content-Type': 'multipart/form-data; boundary=unread',
            'Content-Length': 1024 * 1024,
          }),
        );
        await trickle(socket, closed, Buffer.alloc(1000, 1), 1000, 250);
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 401 /);
      expect(answeredAfterMs).toBeLessThan(5000);
      expect(reply.closedAfterMs - answeredAfterMs).toBeGreaterThanOrEqual(1900);
      expect(reply.closedAfterMs).toBeLessThan(10_000);
    });
  });

  describe('PATCH /api/uploads/:id (tus)', () => {
    const patchHead = (auth: string, path: string, offset: number, length: number) =>
      head('PATCH', path, {
        ...TUS,
        Authorization: auth,
        'Content-Type': OCTETS,
        'Upload-Offset': offset,
        'Content-Length': length,
      });

    it('keeps a PATCH that trickles in past BODY_TIMEOUT', async () => {
      const { user } = await buildUser(t);
      const auth = bearer(t, user);
      const content = Buffer.alloc(40 * 1024, 3);
      const { url } = await createUpload(t, auth, content.length);
      const path = new URL(url, 'http://depot.test').pathname;
      const reply = await rawExchange(port, async (socket, closed) => {
        socket.write(patchHead(auth, path, 0, content.length) + '');
        await trickle(socket, closed, content, 24, 250);
        socket.end();
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 204 /);
      expect(reply.text).toMatch(new RegExp(`upload-offset: ${content.length}\r\n`, 'i'));
    });

    it('answers 408 to a PATCH that stops, keeps the bytes that came, and lets the client resume', async () => {
      const { user } = await buildUser(t);
      const auth = bearer(t, user);
      const content = Buffer.alloc(40 * 1024, 5);
      const { url } = await createUpload(t, auth, content.length);
      const path = new URL(url, 'http://depot.test').pathname;
      const sent = 10 * 1024;
      const reply = await rawExchange(port, async (socket) => {
        socket.write(patchHead(auth, path, 0, content.length));
        socket.write(content.subarray(0, sent));
      });
      expect(reply.text).toMatch(/^HTTP\/1\.1 408 /);
      let offset = -1;
      await eventually(async () => {
        const res = await request(t.server).head(path).set(TUS).set('Authorization', auth);
        offset = Number(res.headers['upload-offset']);
        return offset === sent;
      });
      await patchUpload(t.server, path, offset, content.subarray(offset), auth).expect(204);
    });
  });
});
