import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { FileRecord } from '../../src/features/files/repository';
import type { User } from '../../src/features/accounts/users-repository';
import { buildUser } from '../helpers/agents';
import { buildTestApp, type TestApp } from '../helpers/app';
import { binaryParser } from '../helpers/binary';
import { DATABASES } from '../helpers/databases';
import { listenOn, type ListeningServer } from '../helpers/listening';
import { storeFile } from '../helpers/stored-files';

const SIZE = 200_000;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Runs curl and resolves with its exit code. */
function curl(args: string[]): Promise<number | null> {
  return new Promise((resolve) => spawn('curl', ['-sS', ...args]).on('close', resolve));
}

describe.each(DATABASES)('max_downloads and Range (%s)', (db) => {
  let t: TestApp;
  let owner: User;
  let content: Buffer;
  let file: FileRecord;

  beforeAll(async () => {
    t = await buildTestApp({ db });
    owner = (await buildUser(t)).user;
  });
  beforeEach(async () => {
    content = randomBytes(SIZE);
    file = await storeFile(t, owner, content, { name: 'limited.bin' });
  });
  afterAll(() => t.close());

  const oneDownloadLink = async () =>
    (await t.deps.shares.create(owner, file.id, { maxDownloads: 1 })).token;
  const counted = async (token: string) =>
    (await t.deps.models.Share.findOne({ where: { token } }))!.downloadCount;
  const download = (
    token: string,
    headers: Record<string, string> = {},
    agent = request(t.server),
  ) => agent.get(`/s/${token}/download`).set(headers).buffer(true).parse(binaryParser);

  it('counts `Range: bytes=1-` from a fresh client, then answers 410 to the next plain GET', async () => {
    const token = await oneDownloadLink();
    const res = await download(token, { Range: 'bytes=1-' }).expect(206);
    expect(Buffer.compare(res.body as Buffer, content.subarray(1))).toBe(0);
    expect(await counted(token)).toBe(1);
    await download(token).expect(410);
    expect(await counted(token)).toBe(1);
  });

  it('serves `Range: bytes=1-` from fresh clients only while downloads are left', async () => {
    const token = await oneDownloadLink();
    const statuses = [];
    for (let i = 0; i < 5; i += 1)
      statuses.push((await download(token, { Range: 'bytes=1-' })).status);
    expect(statuses).toEqual([206, 410, 410, 410, 410]);
    expect(await counted(token)).toBe(1);
  });

  it('lets the client whose GET was counted resume with a Range, for free, and nobody else', async () => {
    const token = await oneDownloadLink();
    const browser = request.agent(t.server);
    const first = await download(token, {}, browser).expect(200);
    const grant = String(first.headers['set-cookie']);
    expect(grant).toMatch(/depot\.grant=/);
    expect(grant).toContain(`path=/s/${token}/download`);
    expect(grant.toLowerCase()).toContain('httponly');
    const rest = await download(token, { Range: 'bytes=150000-' }, browser).expect(206);
    expect(Buffer.compare(rest.body as Buffer, content.subarray(150_000))).toBe(0);
    await download(token, { Range: 'bytes=150000-' }).expect(410);
    // A grant is for resuming: starting again from byte 0 is a new download.
    await download(token, {}, browser).expect(410);
    expect(await counted(token)).toBe(1);
  });

  it("refuses a forged grant and another link's grant", async () => {
    const token = await oneDownloadLink();
    const otherLink = (await t.deps.shares.create(owner, file.id, {})).token;
    const browser = request.agent(t.server);
    const other = await download(otherLink, { Range: 'bytes=0-9' }, browser).expect(206);
    const otherGrant = /depot\.grant=([^;]+)/.exec(String(other.headers['set-cookie']))![1];
    await download(token, { Range: 'bytes=0-9' }).expect(206); // someone takes the only download
    for (const value of [otherGrant, `${otherGrant.slice(0, -1)}A`, '9999999999.forged', '']) {
      await download(token, { Range: 'bytes=10-', Cookie: `depot.grant=${value}` }).expect(410);
    }
    expect(await counted(token)).toBe(1);
  });

  it('keeps an unlimited link resumable by anyone (each range without a grant counts)', async () => {
    const { token } = await t.deps.shares.create(owner, file.id, {});
    await download(token, { Range: 'bytes=100-' }).expect(206);
    await download(token, { Range: 'bytes=200-' }).expect(206);
    expect(await counted(token)).toBe(2);
  });

  describe('with curl over a real socket', () => {
    let listening: ListeningServer;
    let base: string;
    let dir: string;

    beforeAll(async () => {
      listening = await listenOn(t.server);
      base = listening.baseUrl;
      dir = fs.mkdtempSync(path.join(t.workDir, 'curl-'));
    });
    afterAll(async () => {
      await listening.close();
    });

    it('resumes an interrupted `curl -C -` download with its cookie jar into an identical file', async () => {
      const token = await oneDownloadLink();
      const out = path.join(dir, `${token}.bin`);
      const jar = path.join(dir, `${token}.jar`);
      const url = `${base}/s/${token}/download`;
      // The first run is cut after 50 000 bytes (a counted download that set the grant in the jar).
      expect(await curl(['-f', '-r', '0-49999', '-c', jar, '-o', out, url])).toBe(0);
      expect(fs.statSync(out).size).toBe(50_000);
      expect(await curl(['-f', '-C', '-', '-b', jar, '-c', jar, '-o', out, url])).toBe(0);
      expect(sha(fs.readFileSync(out))).toBe(sha(content));
      expect(await counted(token)).toBe(1);
      // Without the jar the same resume is a new download, and none is left.
      expect(await curl(['-f', '-C', '-', '-o', path.join(dir, 'other.bin'), url])).not.toBe(0);
    });
  });
});
