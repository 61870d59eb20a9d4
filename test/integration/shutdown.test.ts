import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir } from '../helpers/databases';
import { spawnDepot, startDepot, TEST_ENV, type DepotProcess } from '../helpers/depot-process';

jest.setTimeout(90_000);

/** Depot as production would run it, over a temp database and upload directory. */
function envIn(workDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...TEST_ENV,
    HOME: process.env.HOME ?? workDir,
    DATABASE_URL: `sqlite:${path.join(workDir, 'depot.sqlite')}`,
    // Generated secrets go to the temp directory, never into the repository's data/.
    DATA_DIR: workDir,
    UPLOAD_DIR: path.join(workDir, 'uploads'),
    ...env,
  };
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
  let depot: DepotProcess | undefined;

  beforeEach(() => {
    workDir = makeTempDir('depot-www-');
  });
  afterEach(async () => {
    await depot?.stop();
    depot = undefined;
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('starts, migrates its database and serves /healthz and /readyz', async () => {
    depot = await startDepot(envIn(workDir));
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
    depot = await startDepot(envIn(workDir));
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
    depot = await startDepot(envIn(workDir));
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
      depot = await spawnDepot(envIn(workDir, { PORT: String(port) }));
      expect(await depot.exited).toBe(1);
      expect(depot.stderr().trim()).toMatch(/^Depot could not start: listen EADDRINUSE[^\n]+$/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses to start in production with the default secrets: exit 1, one line naming the variable', async () => {
    depot = await spawnDepot(envIn(workDir, { NODE_ENV: 'production' }));
    expect(await depot.exited).toBe(1);
    const stderr = depot.stderr().trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^Invalid configuration: APP_KEYS: /);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(workDir, 'depot.sqlite'))).toBe(false);
  });

  it('refuses a short JWT_SECRET in production, naming it', async () => {
    depot = await spawnDepot(
      envIn(workDir, {
        NODE_ENV: 'production',
        APP_KEYS: 'a'.repeat(40),
        JWT_SECRET: 'too-short',
      }),
    );
    expect(await depot.exited).toBe(1);
    expect(depot.stderr().trim()).toMatch(/^Invalid configuration: JWT_SECRET: [^\n]+$/);
    expect(depot.stderr()).not.toContain('too-short');
  });

  it('stops on a bad MAX_UPLOAD_BYTES with one line naming it and no stack trace', async () => {
    depot = await spawnDepot(envIn(workDir, { MAX_UPLOAD_BYTES: '-5GiB' }));
    expect(await depot.exited).toBe(1);
    const stderr = depot.stderr().trim();
    expect(stderr).toMatch(/^Invalid configuration: MAX_UPLOAD_BYTES: [^\n]+$/);
    expect(stderr).not.toContain(' at ');
    expect(depot.stdout()).toBe('');
  });
});
