import fs from 'node:fs';
import path from 'node:path';

/* Linux-specific helpers of the upload benches: the VM's memory and per-thread CPU from /proc. */

/**
 * Writes `bytes` into a scratch file under `dir` and deletes it, just before a measured upload. On this VM the
 * guest hands free memory back to the host (virtio-balloon free page reporting) about a second after it is freed,
 * and a page-cache page taken from such memory costs the writing thread about 10 µs of host page faulting: a
 * 1 GiB file then costs 2.5-3 CPU-seconds to write instead of 0.2 (measured: the same 1 GiB write repeated after
 * 0.5 s pauses ran at 4.5 GiB/s, after pauses of 1 s or more at 0.3-0.6 GiB/s). Without this the servers that take
 * longer to start (Depot) wrote into returned memory and the quick ones into recycled memory.
 */
export function recyclePageCache(dir: string, bytes: number): void {
  const scratch = path.join(dir, 'recycle.tmp');
  const block = Buffer.alloc(8 * 1024 * 1024);
  const fd = fs.openSync(scratch, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(scratch, { force: true });
  }
}

/** User + system CPU seconds of each thread of `pid` (Linux /proc), by thread id. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second here).
    seconds.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return seconds;
}
