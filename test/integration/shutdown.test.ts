import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir } from '../helpers/databases';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
jest.setTimeout(90_000);

interface Depot {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** A port nobody listens on right now (the kernel picks it; Depot binds it a moment later). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `tsx bin/www.ts` as production would, over a temp database and upload directory. */
async function spawnDepot(workDir: string, env: Record<string, string> = {}): Promise<Depot> {
  const port = await freePort();
  const child = spawn(TSX, ['bin/www.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? workDir,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${path.join(workDir, 'depot.sqlite')}`,
      // Generated secrets go to the temp directory, never into the repository's data/.
      DATA_DIR: workDir,
      UPLOAD_DIR: path.join(workDir, 'uploads'),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once Depot logs that it listens; rejects if it exits first. */
async function listening(depot: Depot): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!depot.stdout().includes('Depot listening')) {
    if (depot.child.exitCode !== null) {
      throw new Error(`Depot exited ${depot.child.exitCode}: ${depot.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`Depot did not start: ${depot.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function collect(res: http.IncomingMessage): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => (body += chunk));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    res.on('error', reject);
  });
}

function get(port: number, urlPath: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) =>
        collect(res).then(resolve, reject),
      )
      .on('error', reject);
  });
}

describe('bin/www.ts', () => {
  let workDir: string;
  let depot: Depot | undefined;

  beforeEach(() => {
    workDir = makeTempDir('depot-www-');
  });
  afterEach(async () => {
    if (depot && depot.child.exitCode === null && depot.child.signalCode === null) {
      // SIGTERM, because tsx relays it to the node process it runs; SIGKILL would orphan that one.
      depot.child.kill('SIGTERM');
      const timer = setTimeout(() => depot?.child.kill('SIGKILL'), 15_000);
      await depot.exited;
      clearTimeout(timer);
    }
    depot = undefined;
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('starts, migrates its database and serves /healthz and /readyz', async () => {
    depot = await spawnDepot(workDir);
    await listening(depot);
    const health = await get(depot.port, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    expect(health.headers['x-request-id']).toBeDefined();
    expect((await get(depot.port, '/readyz')).status).toBe(200);
    expect(fs.existsSync(path.join(workDir, 'depot.sqlite'))).toBe(true);
    // Logs are JSON lines.
    const lines = depot.stdout().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('on SIGTERM stops accepting, lets an in-flight request finish, then exits 0', async () => {
    depot = await spawnDepot(workDir);
    await listening(depot);
    const { port } = depot;
    const body = JSON.stringify({ username: 'nobody-here', password: 'wrong password' });

    // A request whose body trickles in: the server is busy with it when SIGTERM arrives.
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/auth/token',
      agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    });
    const reply = new Promise<Reply>((resolve, reject) => {
      req.on('response', (res) => collect(res).then(resolve, reject));
      req.on('error', reject);
    });
    req.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));

    depot.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Still running for the in-flight request, but no longer accepting new connections.
    expect(depot.child.exitCode).toBeNull();
    await expect(get(port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    req.end(body.slice(10));
    const answer = await reply;
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 401 });

    expect(await depot.exited).toBe(0);
    expect(depot.stdout()).toContain('"msg":"shutting down"');
    expect(depot.stdout()).toContain('"msg":"stopped"');
  });

  it('closes a request that never finishes after the grace period, then exits 0', async () => {
    depot = await spawnDepot(workDir);
    await listening(depot);
    const req = http.request({
      host: '127.0.0.1',
      port: depot.port,
      method: 'POST',
      path: '/api/auth/token',
      agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': '100' },
    });
    const failed = new Promise((resolve) => req.on('error', resolve));
    req.write('{"user');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    depot.child.kill('SIGTERM');
    expect(await depot.exited).toBe(0);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThan(9_000);
    expect(waited).toBeLessThan(20_000);
    await expect(failed).resolves.toMatchObject({ message: 'socket hang up' });
    expect(depot.stdout()).toContain('in-flight requests did not finish in time');
  });

  it('stops with one line when its port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      depot = await spawnDepot(workDir, { PORT: String(port) });
      expect(await depot.exited).toBe(1);
      expect(depot.stderr().trim()).toMatch(/^Depot could not start: listen EADDRINUSE[^\n]+$/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses to start in production with the default secrets: exit 1, one line naming the variable', async () => {
    depot = await spawnDepot(workDir, { NODE_ENV: 'production' });
    expect(await depot.exited).toBe(1);
    const stderr = depot.stderr().trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^Invalid configuration: APP_KEYS: /);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(workDir, 'depot.sqlite'))).toBe(false);
  });

  it('refuses a short JWT_SECRET in production, naming it', async () => {
    depot = await spawnDepot(workDir, {
      NODE_ENV: 'production',
      APP_KEYS: 'a'.repeat(40),
      JWT_SECRET: 'too-short',
    });
    expect(await depot.exited).toBe(1);
    expect(depot.stderr().trim()).toMatch(/^Invalid configuration: JWT_SECRET: [^\n]+$/);
    expect(depot.stderr()).not.toContain('too-short');
  });

  it('stops on a bad MAX_UPLOAD_BYTES with one line naming it and no stack trace', async () => {
    depot = await spawnDepot(workDir, { MAX_UPLOAD_BYTES: '-5GiB' });
    expect(await depot.exited).toBe(1);
    const stderr = depot.stderr().trim();
    expect(stderr).toMatch(/^Invalid configuration: MAX_UPLOAD_BYTES: [^\n]+$/);
    expect(stderr).not.toContain(' at ');
    expect(depot.stdout()).toBe('');
  });
});
