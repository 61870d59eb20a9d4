import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LocalDiskStorage } from '../../../src/storage/local-disk';
import { PositionedSink } from '../../../src/storage/positioned-sink';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('PositionedSink background syncs', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-sink-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Streams `chunks` one write each into a sink that syncs every `every` bytes; returns the sync requests. */
  async function run(chunks: number[], every: number, accept: (call: number) => boolean) {
    const handle = await fsp.open(path.join(dir, 'file'), 'w+');
    const calls: { position: number; started: boolean }[] = [];
    const sink = new PositionedSink(handle, 0, every, (position) => {
      const started = accept(calls.length);
      calls.push({ position, started });
      return started;
    });
    try {
      // Each write waits for the one before, so every chunk is its own _write.
      for (const size of chunks) {
        await new Promise<void>((resolve, reject) =>
          sink.write(Buffer.alloc(size), (err) => (err ? reject(err) : resolve())),
        );
      }
      await new Promise<void>((resolve) => sink.end(resolve));
    } finally {
      await handle.close();
    }
    return calls;
  }

  it('asks for a sync each time another interval is written, with the bytes written so far', async () => {
    const calls = await run([60 * KiB, 60 * KiB, 60 * KiB, 60 * KiB], 100 * KiB, () => true);
    expect(calls).toEqual([
      { position: 120 * KiB, started: true },
      { position: 240 * KiB, started: true },
    ]);
  });

  it('asks again after the next write when a sync could not start, not one interval later', async () => {
    const calls = await run(
      [60 * KiB, 60 * KiB, 10 * KiB, 10 * KiB],
      100 * KiB,
      (call) => call > 0,
    );
    expect(calls).toEqual([
      { position: 120 * KiB, started: false },
      { position: 130 * KiB, started: true },
    ]);
  });
});

describe('PartialUploads durable offset', () => {
  it('reports the bytes a background sync made durable while the writer is still open', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-partials-'));
    try {
      const partials = new LocalDiskStorage(root).uploads;
      const id = 'AbCdEfGhIjKlMnOp0123';
      await partials.create(id);
      const durable: number[] = [];
      const writer = await partials.append(id, 0, { onDurable: (bytes) => durable.push(bytes) });
      const chunks = Array.from({ length: 70 }, () => Buffer.alloc(MiB));
      await pipeline(Readable.from(chunks), writer.sink);
      // The sync runs detached from the writer: wait for its report (bounded generously).
      for (let waited = 0; durable.length === 0 && waited < 30_000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await writer.close();
      expect(durable).toHaveLength(1);
      expect(durable[0]).toBeGreaterThanOrEqual(64 * MiB);
      expect(durable[0]).toBeLessThanOrEqual(70 * MiB);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
