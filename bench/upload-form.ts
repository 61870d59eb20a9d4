/**
 * Form upload throughput: one large file through POST /api/files with `curl -F`, against a bare node:http
 * server that pipes the same request body to a file, in the same run (interleaved rounds, median).
 * Depot computes the SHA-256 while streaming; its peak RSS (VmHWM of the server process) must stay < 200 MB.
 *   npx tsx bench/upload-form.ts [--size-mib 1024] [--rounds 3] [--dir /tmp]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryOf, startChildServer } from './lib/child-server';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

const sizeMiB = Number(arg('size-mib', '1024'));
const rounds = Number(arg('rounds', '3'));
const baseDir = fs.mkdtempSync(path.join(arg('dir', os.tmpdir()), 'depot-bench-upload-'));

/** curl -F the file to `url`; returns seconds, throws unless the status is `expect`. */
function curlUpload(url: string, file: string, expect: number, headers: string[] = []): number {
  const out = execFileSync('curl', [
    '-sS',
    '-o',
    path.join(baseDir, 'response.txt'),
    '-w',
    '%{http_code} %{time_total}',
    ...headers.flatMap((header) => ['-H', header]),
    '-F',
    `file=@${file};type=application/octet-stream`,
    url,
  ]).toString();
  const [status, seconds] = out.trim().split(' ');
  if (Number(status) !== expect)
    throw new Error(
      `${url} answered ${status}: ${fs.readFileSync(path.join(baseDir, 'response.txt'), 'utf8')}`,
    );
  return Number(seconds);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const file = path.join(baseDir, 'payload.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${sizeMiB}`, 'status=none']);
  const bare = await startChildServer<object>(['bare-pipe', path.join(baseDir, 'bare-output.bin')]);
  const depot = await startChildServer<{ token: string }>(['depot', path.join(baseDir, 'depot')]);
  const auth = `Authorization: Bearer ${depot.info.token}`;
  const idle = memoryOf(depot.pid);
  const bareTimes: number[] = [];
  const depotTimes: number[] = [];
  try {
    // The disk must not fill up: stored contents are not needed after the timing.
    const removeDepotContent = () => {
      const uploads = path.join(baseDir, 'depot', 'uploads');
      for (const shard of fs.readdirSync(uploads).filter((name) => name.length === 2))
        fs.rmSync(path.join(uploads, shard), { recursive: true, force: true });
    };
    // Warm-up: JIT, the database file and the page cache of the payload.
    curlUpload(`http://127.0.0.1:${depot.info.port}/api/files`, file, 201, [auth]);
    removeDepotContent();
    execFileSync('sync');
    for (let round = 0; round < rounds; round += 1) {
      // Alternate who goes first; each starts with no dirty pages of the other waiting for writeback.
      const runBare = () => {
        bareTimes.push(curlUpload(`http://127.0.0.1:${bare.info.port}/`, file, 200));
        fs.rmSync(path.join(baseDir, 'bare-output.bin'), { force: true });
        execFileSync('sync');
      };
      const runDepot = () => {
        depotTimes.push(
          curlUpload(`http://127.0.0.1:${depot.info.port}/api/files`, file, 201, [auth]),
        );
        removeDepotContent();
        execFileSync('sync');
      };
      if (round % 2 === 0) {
        runBare();
        runDepot();
      } else {
        runDepot();
        runBare();
      }
      process.stderr.write(
        `round ${round + 1}: bare ${bareTimes[round]}s, depot ${depotTimes[round]}s\n`,
      );
    }
    const memory = memoryOf(depot.pid);
    const mibPerSecond = (seconds: number) => sizeMiB / seconds;
    const bareRate = mibPerSecond(median(bareTimes));
    const depotRate = mibPerSecond(median(depotTimes));
    console.log(`| server | MiB/s (median of ${rounds}) | ratio |`);
    console.log('|---|---|---|');
    console.log(`| bare node:http pipe to file | ${bareRate.toFixed(0)} | 1.00x |`);
    console.log(
      `| Depot POST /api/files (multer + SHA-256 + fsync) | ${depotRate.toFixed(0)} | ${(depotRate / bareRate).toFixed(2)}x |`,
    );
    console.log(
      `\nDepot peak RSS (VmHWM): ${memory.peakMiB.toFixed(0)} MiB (after start: ${idle.peakMiB.toFixed(0)} MiB); payload ${sizeMiB} MiB`,
    );
    console.log(`bare rounds: ${bareTimes.join(', ')} s; depot rounds: ${depotTimes.join(', ')} s`);
  } finally {
    await bare.stop();
    await depot.stop();
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
