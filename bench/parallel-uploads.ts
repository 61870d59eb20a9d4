/**
 * A team's burst of uploads: N parallel multipart uploads (POST /api/files, one small file each) by U users,
 * while a prober asks for `GET /` and `GET /api/me` one after the other. Reports how many uploads succeeded,
 * the burst's wall time, the probes' latency percentiles during the burst, and whether rows and bytes agree
 * (every 201 is a row with the sent SHA-256 and size, every row has its content, no temp file is left).
 *   npx tsx bench/parallel-uploads.ts [--db sqlite|mysql] [--uploads 100] [--users 5] [--size-kib 64] [--runs 1]
 * --db mysql creates a fresh database (test/helpers/databases.ts) on TEST_MYSQL_URL's server (default mysql://root@127.0.0.1:3306/).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChildServer } from './lib/child-server';
import { createTestDatabase } from '../test/helpers/databases';
import { arg } from './lib/harness';

const db = arg('db', 'sqlite');
const uploads = Number(arg('uploads', '100'));
const users = Number(arg('users', '5'));
const sizeKiB = Number(arg('size-kib', '64'));
const runs = Number(arg('runs', '1'));

interface Probe {
  path: string;
  ms: number;
  status: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

async function timed(
  url: string,
  init: RequestInit,
): Promise<{ ms: number; status: number; body: string }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(300_000) });
    const body = await response.text();
    return { ms: performance.now() - started, status: response.status, body };
  } catch (err) {
    return { ms: performance.now() - started, status: 0, body: (err as Error).message };
  }
}

/** The content files under the upload directory (two-character shards), and what is left in its temp dirs. */
function contentsOnDisk(uploadDir: string): { contents: Set<string>; temp: string[] } {
  const contents = new Set<string>();
  const temp: string[] = [];
  for (const entry of fs.readdirSync(uploadDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const names = fs.readdirSync(path.join(uploadDir, entry.name));
    if (entry.name.length === 2) names.forEach((name) => contents.add(name));
    // A live process's heartbeat file (`*.alive`) is not a leftover.
    else if (entry.name === '.tmp') temp.push(...names.filter((name) => !name.endsWith('.alive')));
  }
  return { contents, temp };
}

async function run(round: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-bench-burst-'));
  // The tests' own fresh database (created, dropped afterwards) on TEST_MYSQL_URL's server.
  process.env.TEST_MYSQL_URL ??= 'mysql://root@127.0.0.1:3306/';
  const database = db === 'mysql' ? await createTestDatabase('mysql', dir) : null;
  const depot = await startChildServer<{ tokens: string[] }>([
    'depot-team',
    dir,
    String(users),
    ...(database ? [database.url] : []),
  ]);
  const base = `http://127.0.0.1:${depot.info.port}`;
  const { tokens } = depot.info;
  try {
    // Warm-up: one upload and one probe of each, so JIT and first-statement costs are not in the burst.
    const warm = new FormData();
    warm.append('file', new Blob([randomBytes(1024)]), 'warm.bin');
    await timed(`${base}/api/files`, {
      method: 'POST',
      body: warm,
      headers: { Authorization: `Bearer ${tokens[0]}` },
    });
    await timed(`${base}/`, {});

    const payloads = Array.from({ length: uploads }, () => randomBytes(sizeKiB * 1024));
    const probes: Probe[] = [];
    let bursting = true;
    const prober = (async () => {
      for (let turn = 0; bursting; turn += 1) {
        const probePath = turn % 2 === 0 ? '/' : '/api/me';
        const headers: Record<string, string> =
          probePath === '/api/me' ? { Authorization: `Bearer ${tokens[turn % users]}` } : {};
        const { ms, status } = await timed(`${base}${probePath}`, { headers });
        probes.push({ path: probePath, ms, status });
      }
    })();
    const started = performance.now();
    const results = await Promise.all(
      payloads.map((payload, index) => {
        const form = new FormData();
        form.append('file', new Blob([payload]), `burst-${index}.bin`);
        return timed(`${base}/api/files`, {
          method: 'POST',
          body: form,
          headers: { Authorization: `Bearer ${tokens[index % users]}` },
        });
      }),
    );
    const burstSeconds = (performance.now() - started) / 1000;
    bursting = false;
    await prober;

    const statuses = new Map<number, number>();
    for (const result of results)
      statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
    const problems: string[] = [];
    // Consistency: each 201 names a file with the sent bytes' SHA-256 and size, listed for its owner.
    const expected = new Map<string, { sha256: string; size: number }>();
    results.forEach((result, index) => {
      if (result.status !== 201) return;
      const [file] = (
        JSON.parse(result.body) as { items: { id: string; sha256: string; size: number }[] }
      ).items;
      const sha256 = createHash('sha256').update(payloads[index]).digest('hex');
      if (file.sha256 !== sha256 || file.size !== payloads[index].length)
        problems.push(`upload ${index}: stored ${file.size} B ${file.sha256}, sent ${sha256}`);
      expected.set(file.id, { sha256, size: payloads[index].length });
    });
    let listed = 0;
    for (const token of tokens) {
      const list = await timed(`${base}/api/files?per_page=100`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const { total } = JSON.parse(list.body) as { total: number };
      listed += total;
    }
    // The warm-up upload is one more row.
    if (listed !== expected.size + 1)
      problems.push(`rows listed ${listed}, uploads answered 201: ${expected.size} + 1`);
    const disk = contentsOnDisk(path.join(dir, 'uploads'));
    if (disk.contents.size !== listed)
      problems.push(`content files ${disk.contents.size}, rows ${listed}`);
    if (disk.temp.length) problems.push(`temp files left: ${disk.temp.join(', ')}`);
    for (const id of expected.keys())
      if (!disk.contents.has(id)) problems.push(`no content for ${id}`);

    const report = (probePath: string) => {
      const times = probes.filter((probe) => probe.path === probePath);
      const ms = times.map((probe) => probe.ms);
      const failed = times.filter((probe) => probe.status !== 200).length;
      return `${probePath.padEnd(7)} n=${String(ms.length).padStart(4)} p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms${failed ? `, ${failed} not 200` : ''}`;
    };
    const uploadMs = results.map((result) => result.ms);
    console.log(
      [
        `run ${round + 1} (${db}): ${uploads} uploads of ${sizeKiB} KiB by ${users} users in ${burstSeconds.toFixed(2)} s;` +
          ` statuses ${[...statuses].map(([status, count]) => `${status}x${count}`).join(' ')};` +
          ` upload p50 ${percentile(uploadMs, 50).toFixed(0)} ms, max ${Math.max(...uploadMs).toFixed(0)} ms`,
        `  ${report('/')}`,
        `  ${report('/api/me')}`,
        `  consistency: ${problems.length ? problems.slice(0, 5).join('; ') : 'rows, SHA-256, sizes and contents agree, no temp file'}`,
      ].join('\n'),
    );
  } finally {
    await depot.stop();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`,
  );
  for (let round = 0; round < runs; round += 1) await run(round);
}

void main();
