import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { csrfFrom } from '../helpers/agents';
import { makeTempDir } from '../helpers/databases';
import { spawnDepot, startDepot, type DepotProcess } from '../helpers/depot-process';

jest.setTimeout(120_000);

/** The secret src/config.ts shipped as JWT_SECRET's default before issue 14: public, so anyone could sign. */
const PUBLISHED_DEV_JWT_SECRET = 'depot-dev-only-jwt-secret-change-me';
const PASSWORD = 'correct horse battery';

/** A token exactly like Depot's own (claims, algorithm, issuer, audience), signed with `secret`. */
function forgeToken(secret: string, userId: string): string {
  return jwt.sign({ sub: userId, ver: 0 }, secret, {
    algorithm: 'HS256',
    expiresIn: 3600,
    issuer: 'depot',
    audience: 'depot-api',
  });
}

/** Registers the first account (the admin) through the real form; returns its id and a real token. */
async function registerAdmin(baseUrl: string): Promise<{ id: string; token: string }> {
  const agent = request.agent(baseUrl);
  const form = await agent.get('/register').expect(200);
  await agent
    .post('/register')
    .type('form')
    .send({ _csrf: csrfFrom(form.text), username: 'alice', password: PASSWORD, confirm: PASSWORD })
    .expect(303);
  const issued = await request(baseUrl)
    .post('/api/auth/token')
    .send({ username: 'alice', password: PASSWORD })
    .expect(200);
  const token = issued.body.access_token as string;
  const me = await request(baseUrl).get('/api/me').set('Authorization', `Bearer ${token}`);
  expect(me.status).toBe(200);
  expect(me.body.role).toBe('admin');
  return { id: String(me.body.id), token };
}

describe('npm start with no configuration (bin/www.ts, NODE_ENV unset)', () => {
  let workDir: string;
  let dataDir: string;
  let depot: DepotProcess | undefined;
  // Only DATA_DIR and UPLOAD_DIR (temp directories): no secret, no database URL, no NODE_ENV.
  const bareEnv = () => ({ DATA_DIR: dataDir, UPLOAD_DIR: path.join(workDir, 'uploads') });
  const secretsFile = () => path.join(dataDir, 'secrets.json');

  beforeEach(() => {
    workDir = makeTempDir('depot-defaults-');
    dataDir = path.join(workDir, 'data');
  });
  afterEach(async () => {
    await depot?.stop();
    depot = undefined;
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses a token signed with the old published dev secret, and signs with secrets of its own', async () => {
    depot = await startDepot(bareEnv());
    const admin = await registerAdmin(depot.baseUrl);

    const forged = forgeToken(PUBLISHED_DEV_JWT_SECRET, admin.id);
    const refused = await request(depot.baseUrl)
      .get('/api/me')
      .set('Authorization', `Bearer ${forged}`);
    expect(refused.status).toBe(401);
    expect(refused.body.role).toBeUndefined();

    // The same forgery with the secret from the data directory works: only the secret was wrong.
    const { JWT_SECRET } = JSON.parse(fs.readFileSync(secretsFile(), 'utf8'));
    await request(depot.baseUrl)
      .get('/api/me')
      .set('Authorization', `Bearer ${forgeToken(JWT_SECRET, admin.id)}`)
      .expect(200);
    // And the default SQLite file lives in DATA_DIR beside it.
    expect(fs.existsSync(path.join(dataDir, 'depot.sqlite'))).toBe(true);
  });

  it('creates DATA_DIR/secrets.json with mode 0600, says so once at info, and never logs the values', async () => {
    depot = await startDepot(bareEnv());
    expect(fs.statSync(secretsFile()).mode & 0o777).toBe(0o600);
    const { APP_KEYS, JWT_SECRET } = JSON.parse(fs.readFileSync(secretsFile(), 'utf8'));
    await registerAdmin(depot.baseUrl);
    const notes = depot.logs().filter((line) => String(line.msg).includes('secrets.json'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      level: 30,
      file: secretsFile(),
      variables: ['APP_KEYS', 'JWT_SECRET'],
    });
    expect(notes[0].msg).toMatch(
      /^generated APP_KEYS and JWT_SECRET .*production must set its own/,
    );
    for (const output of [depot.stdout(), depot.stderr()]) {
      expect(output).not.toContain(APP_KEYS);
      expect(output).not.toContain(JWT_SECRET);
    }
  });

  it('reuses the secrets on restart: tokens and the file survive, nothing is generated again', async () => {
    depot = await startDepot(bareEnv());
    const admin = await registerAdmin(depot.baseUrl);
    const before = fs.readFileSync(secretsFile(), 'utf8');
    await depot.stop();

    depot = await startDepot(bareEnv());
    expect(fs.readFileSync(secretsFile(), 'utf8')).toBe(before);
    expect(fs.statSync(secretsFile()).mode & 0o777).toBe(0o600);
    await request(depot.baseUrl)
      .get('/api/me')
      .set('Authorization', `Bearer ${admin.token}`)
      .expect(200);
    const notes = depot.logs().filter((line) => String(line.msg).includes('secrets.json'));
    expect(notes).toHaveLength(1);
    expect(notes[0].msg).toMatch(/^using APP_KEYS and JWT_SECRET generated earlier/);
    const { JWT_SECRET } = JSON.parse(before);
    expect(depot.stdout()).not.toContain(JWT_SECRET);
  });

  it('uses a JWT_SECRET that is set, and the generated APP_KEYS only for the one left unset', async () => {
    const mine = 'my-own-jwt-secret-that-is-long-enough-123';
    depot = await startDepot({ ...bareEnv(), JWT_SECRET: mine });
    const admin = await registerAdmin(depot.baseUrl);
    await request(depot.baseUrl)
      .get('/api/me')
      .set('Authorization', `Bearer ${forgeToken(mine, admin.id)}`)
      .expect(200);
    const note = depot.logs().find((line) => String(line.msg).includes('secrets.json'));
    expect(note).toMatchObject({ variables: ['APP_KEYS'] });
    expect(depot.stdout()).not.toContain(mine);
  });

  it('in production ignores a secrets file and refuses to start with one line', async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    const generated = { APP_KEYS: 'k'.repeat(64), JWT_SECRET: 'j'.repeat(64) };
    fs.writeFileSync(secretsFile(), JSON.stringify(generated), { mode: 0o600 });
    depot = await spawnDepot({ ...bareEnv(), NODE_ENV: 'production' });
    expect(await depot.exited).toBe(1);
    expect(depot.stderr().trim()).toMatch(
      /^Invalid configuration: APP_KEYS: production needs your own keys[^\n]+$/,
    );
    expect(depot.stdout()).toBe('');
  });

  it('stops with one line, and starts nothing, when the secrets file is readable by others', async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    const generated = { APP_KEYS: 'k'.repeat(64), JWT_SECRET: 'j'.repeat(64) };
    fs.writeFileSync(secretsFile(), JSON.stringify(generated), { mode: 0o644 });
    fs.chmodSync(secretsFile(), 0o644);
    depot = await spawnDepot(bareEnv());
    expect(await depot.exited).toBe(1);
    const stderr = depot.stderr().trim();
    expect(stderr).toMatch(/^Invalid configuration: DATA_DIR: [^\n]+chmod 600[^\n]+$/);
    expect(stderr).not.toContain('k'.repeat(64));
    expect(fs.existsSync(path.join(dataDir, 'depot.sqlite'))).toBe(false);
  });
});
