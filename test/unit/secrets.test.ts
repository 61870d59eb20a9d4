import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../src/config';
import { loadOrCreateSecrets, SECRETS_FILE } from '../../src/secrets';
import { makeTempDir } from '../helpers/databases';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('loadOrCreateSecrets (DATA_DIR/secrets.json)', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('depot-secrets-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the file with mode 0600 even under a permissive umask, and strong, distinct secrets', () => {
    const previous = process.umask(0);
    let secrets;
    try {
      secrets = loadOrCreateSecrets(dir);
    } finally {
      process.umask(previous);
    }
    const file = path.join(dir, SECRETS_FILE);
    expect(secrets.file).toBe(file);
    expect(secrets.created).toBe(true);
    expect(modeOf(file)).toBe(0o600);
    expect(secrets.appKeys).toHaveLength(1);
    expect(Buffer.byteLength(secrets.appKeys[0])).toBeGreaterThanOrEqual(32);
    expect(Buffer.byteLength(secrets.jwtSecret)).toBeGreaterThanOrEqual(32);
    expect(secrets.jwtSecret).not.toBe(secrets.appKeys[0]);
    // The same names as the environment, so an operator can move them into .env.
    const content = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(content).toMatchObject({
      APP_KEYS: secrets.appKeys[0],
      JWT_SECRET: secrets.jwtSecret,
    });
    // Only the file: no temp file is left beside it.
    expect(fs.readdirSync(dir)).toEqual([SECRETS_FILE]);
  });

  it('reuses the file on the next start instead of generating new secrets', () => {
    const first = loadOrCreateSecrets(dir);
    const again = loadOrCreateSecrets(dir);
    expect(again).toEqual({ ...first, created: false });
  });

  it('gives every data directory its own secrets', () => {
    const other = makeTempDir('depot-secrets-');
    try {
      expect(loadOrCreateSecrets(other).jwtSecret).not.toBe(loadOrCreateSecrets(dir).jwtSecret);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('creates a missing data directory, private to the user', () => {
    const nested = path.join(dir, 'a', 'data');
    loadOrCreateSecrets(nested);
    expect(fs.existsSync(path.join(nested, SECRETS_FILE))).toBe(true);
    expect(modeOf(nested)).toBe(0o700);
  });

  it('keeps several values of APP_KEYS (rotation) written into the file by hand', () => {
    const file = path.join(dir, SECRETS_FILE);
    const content = { APP_KEYS: 'new-key, old-key', JWT_SECRET: 'j'.repeat(40) };
    fs.writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
    expect(loadOrCreateSecrets(dir)).toMatchObject({
      appKeys: ['new-key', 'old-key'],
      created: false,
    });
  });

  it('refuses a file other users can read, naming it and the fix but not the secrets', () => {
    const { jwtSecret, file } = loadOrCreateSecrets(dir);
    fs.chmodSync(file, 0o644);
    expect(() => loadOrCreateSecrets(dir)).toThrow(ConfigError);
    try {
      loadOrCreateSecrets(dir);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/^Invalid configuration: DATA_DIR: /);
      expect(message).toContain(file);
      expect(message).toContain('mode 0644');
      expect(message).toContain('chmod 600');
      expect(message).not.toContain(jwtSecret);
      expect(message).not.toContain('\n');
    }
    expect(modeOf(file)).toBe(0o644); // left for the operator to judge, not silently rewritten
  });

  it.each([
    ['not JSON', 'APP_KEYS=abc'],
    ['no JWT_SECRET', JSON.stringify({ APP_KEYS: 'k'.repeat(40) })],
    ['a short JWT_SECRET', JSON.stringify({ APP_KEYS: 'k'.repeat(40), JWT_SECRET: 'short' })],
    ['empty APP_KEYS', JSON.stringify({ APP_KEYS: ' , ', JWT_SECRET: 'j'.repeat(40) })],
    ['an empty file', ''],
  ])('refuses a file with %s and leaves it as it is', (_what, text) => {
    const file = path.join(dir, SECRETS_FILE);
    fs.writeFileSync(file, text, { mode: 0o600 });
    expect(() => loadOrCreateSecrets(dir)).toThrow(
      /^Invalid configuration: DATA_DIR: .*secrets\.json is not a secrets file Depot wrote/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('gives processes that start at the same moment the same secrets', async () => {
    const go = path.join(dir, 'go');
    const data = path.join(dir, 'data');
    // Each child loads tsx and the module first, says it is ready, then waits for the same signal.
    const script = `
      const fs = require('node:fs');
      const { loadOrCreateSecrets } = require(${JSON.stringify(path.join(ROOT, 'src/secrets.ts'))});
      process.stdout.write('ready\\n');
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (!fs.existsSync(${JSON.stringify(go)})) Atomics.wait(nap, 0, 0, 1);
      const s = loadOrCreateSecrets(${JSON.stringify(data)});
      process.stdout.write(JSON.stringify({ jwt: s.jwtSecret, keys: s.appKeys, created: s.created }) + '\\n');
    `;
    const children = Array.from({ length: 6 }, () => {
      const child = spawn(TSX, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (err += chunk));
      const done = new Promise<string>((resolve, reject) =>
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(err)))),
      );
      return { ready: () => out.includes('ready'), done };
    });
    const deadline = Date.now() + 45_000;
    while (!children.every((child) => child.ready()) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    fs.writeFileSync(go, '');
    const results = (await Promise.all(children.map((child) => child.done))).map((out) =>
      JSON.parse(out.split('\n')[1]),
    );
    expect(new Set(results.map((result) => result.jwt)).size).toBe(1);
    expect(new Set(results.map((result) => result.keys.join(','))).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(fs.readdirSync(data)).toEqual([SECRETS_FILE]);
    expect(modeOf(path.join(data, SECRETS_FILE))).toBe(0o600);
  }, 60_000);
});
