import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildTestApp, type TestApp } from '../helpers/app';
import { bearer, buildUser } from '../helpers/agents';
import { DATABASES } from '../helpers/databases';
import { listenOn, type ListeningServer } from '../helpers/listening';
import { sha256 } from '../helpers/stored-files';

const UPLOADS = 100;
const USERS = 5;

describe.each(DATABASES)('a team uploading at once (%s)', (db) => {
  let t: TestApp;
  let listening: ListeningServer;
  let base: string;

  beforeAll(async () => {
    t = await buildTestApp({ db });
    listening = await listenOn(t.server);
    base = listening.baseUrl;
  });

  afterAll(async () => {
    await listening.close();
    await t.close();
  });

  it(`stores ${UPLOADS} parallel form uploads by ${USERS} users, every one, with rows and bytes agreeing, while pages keep answering`, async () => {
    const team = await Promise.all(Array.from({ length: USERS }, () => buildUser(t)));
    const tokens = team.map(({ user }) => bearer(t, user));
    const payloads = Array.from({ length: UPLOADS }, () => randomBytes(64 * 1024));

    let bursting = true;
    const probeStatuses: number[] = [];
    const prober = (async () => {
      for (let turn = 0; bursting || turn < 2; turn += 1) {
        const response = await fetch(
          `${base}${turn % 2 ? '/api/me' : '/'}`,
          turn % 2 ? { headers: { Authorization: tokens[0] } } : {},
        );
        await response.arrayBuffer();
        probeStatuses.push(response.status);
      }
    })();
    const responses = await Promise.all(
      payloads.map(async (payload, index) => {
        const form = new FormData();
        form.append('file', new Blob([payload]), `burst-${index}.bin`);
        const response = await fetch(`${base}/api/files`, {
          method: 'POST',
          body: form,
          headers: { Authorization: tokens[index % USERS] },
        });
        return {
          status: response.status,
          body: (await response.json()) as {
            items?: { id: string; sha256: string; size: number }[];
          },
        };
      }),
    );
    bursting = false;
    await prober;

    expect(responses.map((response) => response.status)).toEqual(payloads.map(() => 201));
    expect(probeStatuses.length).toBeGreaterThanOrEqual(2);
    expect(probeStatuses.every((status) => status === 200)).toBe(true);
    const stored = responses.map((response) => response.body.items![0]);
    stored.forEach((file, index) => {
      expect(file.sha256).toBe(sha256(payloads[index]));
      expect(file.size).toBe(payloads[index].length);
    });
    for (const [index, { user }] of team.entries()) {
      const rows = await t.deps.models.File.findAll({ where: { ownerId: user.id } });
      expect(rows).toHaveLength(UPLOADS / USERS);
      expect(new Set(rows.map((row) => row.get('id')))).toEqual(
        new Set(stored.filter((_, at) => at % USERS === index).map((file) => file.id)),
      );
    }
    // Every row has its content, byte for byte, and nothing else is on disk.
    for (const [index, file] of stored.entries()) {
      const content = fs.readFileSync(path.join(t.uploadDir, file.id.slice(0, 2), file.id));
      expect(content.equals(payloads[index])).toBe(true);
    }
    const shards = fs.readdirSync(t.uploadDir).filter((name) => name.length === 2);
    const onDisk = shards.flatMap((shard) => fs.readdirSync(path.join(t.uploadDir, shard)));
    expect(onDisk.sort()).toEqual(stored.map((file) => file.id).sort());
  }, 120_000);
});
