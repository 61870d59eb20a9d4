import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import request from 'supertest';
import { Upload } from 'tus-js-client';
import { startServer, type RunningServer } from '../e2e/helpers/server';
import { bearer, buildUser } from '../helpers/agents';
import { DATABASES } from '../helpers/databases';
import { TUS, createUpload, partialPath, patchHeaders, patchUpload, sha256 } from '../helpers/tus';

const CONFIGS = DATABASES.flatMap((db) => [
  { db, redis: false },
  ...(process.env.TEST_REDIS_URL ? [{ db, redis: true }] : []),
]);

/** Resolves when `upload` succeeds, rejects on its error. */
function run(upload: Upload): Promise<void> {
  return new Promise((resolve, reject) => {
    upload.options.onSuccess = () => resolve();
    upload.options.onError = reject;
    upload.start();
  });
}

/** A raw PATCH whose body is sent in two halves, `pause` ms apart (to overlap with another request). */
function slowPatch(url: string, auth: string, body: Buffer, pause: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'PATCH',
        headers: patchHeaders(auth, 0, body.length),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode as number));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, body.length / 2));
    setTimeout(() => req.end(body.subarray(body.length / 2)), pause);
  });
}

describe.each(CONFIGS)('tus-js-client against a listening server (%o)', ({ db, redis }) => {
  let server: RunningServer;
  let auth: string;

  beforeAll(async () => {
    server = await startServer({ db, redis });
  });
  beforeEach(async () => {
    auth = bearer(server.t, (await buildUser(server.t)).user);
  });
  afterAll(() => server.stop());

  const headOffset = async (url: string) => {
    const res = await request(server.baseUrl)
      .head(new URL(url, server.baseUrl).pathname)
      .set(TUS)
      .set('Authorization', auth)
      .expect(200);
    return Number(res.headers['upload-offset']);
  };

  it('resumes an upload aborted at about 40% from its URL, with a new client, to identical bytes and a file row', async () => {
    const data = randomBytes(24 * 1024 * 1024);
    const options = {
      endpoint: `${server.baseUrl}/api/uploads/`,
      headers: { Authorization: auth },
      metadata: { filename: 'video.mp4', filetype: 'video/mp4' },
      retryDelays: null,
    };
    let uploadUrl = '';
    await new Promise<void>((resolve, reject) => {
      const first: Upload = new Upload(data, {
        ...options,
        chunkSize: 1024 * 1024,
        onChunkComplete(_chunk, accepted, total) {
          if (accepted < total * 0.4 || uploadUrl) return;
          uploadUrl = first.url as string;
          first.abort().then(resolve, reject);
        },
        onSuccess: () => reject(new Error('the first upload was not aborted')),
        onError: reject,
      });
      first.start();
    });
    expect(uploadUrl).toMatch(/\/api\/uploads\/[A-Za-z0-9_-]{22}$/);
    const kept = await headOffset(uploadUrl);
    expect(kept).toBeGreaterThanOrEqual(data.length * 0.4);
    expect(kept).toBeLessThan(data.length);

    let resumedFrom = -1;
    const second = new Upload(data, {
      ...options,
      uploadUrl,
      onProgress(sent) {
        if (resumedFrom < 0) resumedFrom = sent;
      },
    });
    await run(second);
    expect(second.url).toBe(uploadUrl);
    expect(resumedFrom).toBeGreaterThanOrEqual(kept);
    const id = uploadUrl.split('/').pop() as string;
    const file = await request(server.baseUrl)
      .get(`/api/files/${id}`)
      .set('Authorization', auth)
      .expect(200);
    expect(file.body).toMatchObject({
      id,
      name: 'video.mp4',
      type: 'video/mp4',
      size: data.length,
      sha256: sha256(data),
    });
    const stored = await server.t.deps.storage.get(id);
    const chunks: Buffer[] = [];
    for await (const chunk of stored) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
  });

  it('lets one of two parallel PATCHes to the same upload win; the other gets 409 or 423 and the data stays intact', async () => {
    const size = 4 * 1024 * 1024;
    const { id, url } = await createUpload(server.t, auth, size, { filename: 'race.bin' });
    const a = Buffer.alloc(size, 'a');
    const b = Buffer.alloc(size, 'b');
    const first = slowPatch(`${server.baseUrl}${url}`, auth, a, 300);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = slowPatch(`${server.baseUrl}${url}`, auth, b, 0);
    const statuses = await Promise.all([first, second]);
    expect(statuses.filter((status) => status === 204)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409 || status === 423)).toHaveLength(1);
    const winner = statuses[0] === 204 ? a : b;
    const file = await request(server.baseUrl)
      .get(`/api/files/${id}`)
      .set('Authorization', auth)
      .expect(200);
    expect(file.body.sha256).toBe(sha256(winner));
  });

  it('keeps the bytes that arrived before a client hung up in the middle of a PATCH', async () => {
    const size = 8 * 1024 * 1024;
    const { id, url } = await createUpload(server.t, auth, size);
    const data = randomBytes(size);
    const req = http.request(`${server.baseUrl}${url}`, {
      method: 'PATCH',
      agent: false,
      headers: patchHeaders(auth, 0, size),
    });
    req.on('error', () => undefined);
    req.write(data.subarray(0, size / 2));
    const partial = partialPath(server.t, id);
    // Wait until the server is writing (it holds up to 1 MiB before writing), then give it the rest.
    for (let i = 0; i < 200 && fs.statSync(partial).size < size / 2 - 1024 * 1024; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 25));
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.destroy();
    const kept = await headOffset(url);
    expect(kept).toBe(size / 2);
    expect(sha256(fs.readFileSync(partial).subarray(0, kept))).toBe(sha256(data.subarray(0, kept)));
    // And the rest can follow from there.
    await patchUpload(server.baseUrl, url, kept, data.subarray(kept), auth).expect(204);
    const file = await request(server.baseUrl)
      .get(`/api/files/${id}`)
      .set('Authorization', auth)
      .expect(200);
    expect(file.body.sha256).toBe(sha256(data));
  });
});
