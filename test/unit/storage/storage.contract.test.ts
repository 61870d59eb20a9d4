import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LocalDiskStorage } from '../../../src/storage/local-disk';
import {
  StorageLimitExceeded,
  StorageNotFound,
  type ObjectReader,
  type Storage,
} from '../../../src/storage/types';

/**
 * The behaviour every Storage implementation owes the app, run against each one in `implementations`: an
 * object store (an S3-compatible one is next) adds itself to the list and must pass the same suite.
 */
const implementations: { name: string; create(dir: string): Storage }[] = [
  { name: 'LocalDiskStorage', create: (dir) => new LocalDiskStorage(dir) },
];

const KEY = 'AbCdEfGhIjKlMnOp0123';
const OTHER = 'QrStUvWxYz45678901Ab';
const UPLOAD = 'UpLoAdIdUpLoAdId0123';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const from = (...chunks: Buffer[]) => Readable.from(chunks);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One positioned read through a reader, as content delivery does it. */
function readAt(reader: ObjectReader, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  return new Promise((resolve, reject) =>
    reader.read(buffer, length, position, (err, bytesRead) =>
      err ? reject(err) : resolve(buffer.subarray(0, bytesRead)),
    ),
  );
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const found: string[] = [];
  for await (const key of keys) found.push(key);
  return found.sort();
}

describe.each(implementations)('Storage contract: $name', ({ create }) => {
  let dir: string;
  let storage: Storage;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-storage-contract-'));
    storage = create(dir);
    await storage.start();
  });
  afterEach(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('whole objects', () => {
    it('puts a stream under a key and says its size and SHA-256', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const stored = await storage.put(KEY, from(data.subarray(0, 1000), data.subarray(1000)));
      expect(stored).toEqual({ key: KEY, size: data.length, sha256: sha256(data) });
      expect((await readAll(await storage.get(KEY))).equals(data)).toBe(true);
      expect(await storage.stat(KEY)).toMatchObject({ size: data.length });
    });

    it('reads an inclusive byte range as a stream and by positioned reads', async () => {
      const data = randomBytes(10_000);
      await storage.put(KEY, from(data));
      const range = await readAll(await storage.get(KEY, { start: 100, end: 199 }));
      expect(range.equals(data.subarray(100, 200))).toBe(true);
      const reader = await storage.open(KEY);
      try {
        expect((await readAt(reader, 50, 9_000)).equals(data.subarray(9_000, 9_050))).toBe(true);
        // Past the end: fewer bytes, then none.
        expect((await readAt(reader, 100, 9_950)).length).toBe(50);
        expect((await readAt(reader, 100, 10_000)).length).toBe(0);
      } finally {
        reader.close();
      }
    });

    it('keeps nothing of a stream over maxBytes', async () => {
      await expect(storage.put(KEY, from(randomBytes(101)), { maxBytes: 100 })).rejects.toThrow(
        StorageLimitExceeded,
      );
      expect(await storage.stat(KEY)).toBeNull();
      await expect(storage.stage(from(randomBytes(101)), { maxBytes: 100 })).rejects.toThrow(
        StorageLimitExceeded,
      );
      expect(await storage.sweepTemp()).toEqual({ files: 0, bytes: 0 });
    });

    it('shows staged bytes under no key until commit, and forgets discarded ones', async () => {
      const data = randomBytes(5_000);
      const staged = await storage.stage(from(data));
      expect(staged).toMatchObject({ size: data.length, sha256: sha256(data) });
      expect(await storage.stat(KEY)).toBeNull();
      // A live process's staged bytes are not a leftover for the sweep.
      expect(await storage.sweepTemp()).toEqual({ files: 0, bytes: 0 });
      await storage.commit(staged, KEY);
      expect((await readAll(await storage.get(KEY))).equals(data)).toBe(true);

      const dropped = await storage.stage(from(randomBytes(10)));
      await storage.discard(dropped);
      await expect(storage.discard(dropped)).resolves.toBeUndefined();
      await expect(storage.commit(dropped, OTHER)).rejects.toThrow();
      expect(await storage.stat(OTHER)).toBeNull();
    });

    it('answers StorageNotFound or null for a missing key, and removing one is no error', async () => {
      await expect(storage.get(KEY)).rejects.toThrow(StorageNotFound);
      await expect(storage.open(KEY)).rejects.toThrow(StorageNotFound);
      expect(await storage.stat(KEY)).toBeNull();
      await expect(storage.remove(KEY)).resolves.toBeUndefined();
    });

    it('refuses keys that are not ids of ours', async () => {
      for (const key of ['../../etc/passwd', 'short', `${KEY}/x`, ''])
        await expect(storage.get(key)).rejects.toThrow(StorageNotFound);
    });

    it('removes an object', async () => {
      await storage.put(KEY, from(Buffer.from('gone soon')));
      await storage.remove(KEY);
      expect(await storage.stat(KEY)).toBeNull();
      await expect(storage.get(KEY)).rejects.toThrow(StorageNotFound);
    });

    it('lists the keys written before a time, for the orphan sweep', async () => {
      await storage.put(KEY, from(Buffer.from('one')));
      await storage.put(OTHER, from(Buffer.from('two')));
      expect(await collect(storage.keys(new Date(Date.now() + 60_000)))).toEqual(
        [KEY, OTHER].sort(),
      );
      expect(await collect(storage.keys(new Date(Date.now() - 60_000)))).toEqual([]);
    });

    it('reports free space as a byte count, or null when the backend has no such limit', async () => {
      const free = await storage.freeBytes();
      if (free !== null) expect(free).toBeGreaterThan(0);
    });
  });

  describe('resumable uploads', () => {
    /** Appends `data` at `offset` in one request; resolves with the length settle() reported. */
    async function append(offset: number, data: Buffer): Promise<number> {
      const writer = await storage.uploads.append(UPLOAD, offset);
      try {
        await pipeline(from(data), writer.sink);
        return await writer.settle();
      } finally {
        await writer.close();
      }
    }

    it('creates an empty upload once', async () => {
      await storage.uploads.create(UPLOAD);
      expect(await storage.uploads.offset(UPLOAD)).toBe(0);
      await expect(storage.uploads.create(UPLOAD)).rejects.toThrow();
    });

    it('appends at offsets and completes into an object with the size and SHA-256 of every byte', async () => {
      const data = randomBytes(2 * 1024 * 1024 + 3);
      await storage.uploads.create(UPLOAD);
      expect(await append(0, data.subarray(0, 1_000_000))).toBe(1_000_000);
      expect(await storage.uploads.offset(UPLOAD)).toBe(1_000_000);
      expect(await append(1_000_000, data.subarray(1_000_000))).toBe(data.length);
      const done = await storage.uploads.complete(UPLOAD, KEY);
      expect(done).toEqual({ size: data.length, sha256: sha256(data) });
      expect((await readAll(await storage.get(KEY))).equals(data)).toBe(true);
      expect(await storage.uploads.offset(UPLOAD)).toBeNull();
      // Repeatable: a completion interrupted after the move describes the object again.
      expect(await storage.uploads.complete(UPLOAD, KEY)).toEqual(done);
    });

    it('cuts off what an earlier request left past a resumed offset', async () => {
      await storage.uploads.create(UPLOAD);
      await append(0, Buffer.from('hello world, and then some'));
      expect(await append(6, Buffer.from('there'))).toBe(11);
      expect(await storage.uploads.complete(UPLOAD, KEY)).toEqual({
        size: 11,
        sha256: sha256(Buffer.from('hello there')),
      });
    });

    it('truncates an upload back to a length (a refused chunk)', async () => {
      await storage.uploads.create(UPLOAD);
      await append(0, Buffer.from('kept refused'));
      await storage.uploads.truncate(UPLOAD, 4);
      expect(await storage.uploads.offset(UPLOAD)).toBe(4);
      expect((await storage.uploads.complete(UPLOAD, KEY))?.sha256).toBe(
        sha256(Buffer.from('kept')),
      );
    });

    it('lists held uploads and their bytes, and aborts one', async () => {
      await storage.uploads.create(UPLOAD);
      await append(0, randomBytes(1234));
      const held = await storage.uploads.list();
      expect(held.map(({ id, size }) => ({ id, size }))).toEqual([{ id: UPLOAD, size: 1234 }]);
      expect(Number.isFinite(held[0].mtime.getTime())).toBe(true);
      expect(await storage.uploads.usage()).toEqual({ count: 1, bytes: 1234 });
      await storage.uploads.remove(UPLOAD);
      expect(await storage.uploads.offset(UPLOAD)).toBeNull();
      expect(await storage.uploads.usage()).toEqual({ count: 0, bytes: 0 });
      await expect(storage.uploads.remove(UPLOAD)).resolves.toBeUndefined();
    });

    it('answers null or refuses for an upload that does not exist', async () => {
      expect(await storage.uploads.offset(UPLOAD)).toBeNull();
      expect(await storage.uploads.complete(UPLOAD, KEY)).toBeNull();
      await expect(storage.uploads.append(UPLOAD, 0)).rejects.toThrow();
      await expect(storage.uploads.create('../escape')).rejects.toThrow();
    });

    it('keeps upload bytes out of the object keys until completed', async () => {
      await storage.uploads.create(UPLOAD);
      await append(0, Buffer.from('not yet a file'));
      expect(await collect(storage.keys(new Date(Date.now() + 60_000)))).toEqual([]);
      expect(await storage.stat(UPLOAD)).toBeNull();
    });
  });
});
