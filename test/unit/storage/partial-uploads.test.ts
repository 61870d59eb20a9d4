import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LocalDiskStorage } from '../../../src/storage/local-disk';
import type { PartialUploads } from '../../../src/storage/partial-uploads';
import { writersOpenOn } from '../../helpers/tus';

const ID = 'AbCdEfGhIjKlMnOp0123';

describe('PartialUploads', () => {
  let root: string;
  let partials: PartialUploads;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-partials-'));
    partials = new LocalDiskStorage(root).uploads;
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const contents = () => fs.readFileSync(partials.pathFor(ID)).toString();

  /** Writes `text` at `offset` through a writer, then settles and closes it; resolves with what settle() said. */
  async function writeAt(offset: number, text: string): Promise<number> {
    const writer = await partials.append(ID, offset);
    try {
      await pipeline(Readable.from([Buffer.from(text)]), writer.sink);
      return await writer.settle();
    } finally {
      await writer.close();
    }
  }

  it('refuses anything that is not an upload id as a path', () => {
    for (const id of ['../../etc/passwd', 'short', `${ID}/x`, '', `${ID}.part`])
      expect(() => partials.pathFor(id)).toThrow(/not an upload id/);
    expect(partials.pathFor(ID)).toBe(path.join(root, '.uploads', `${ID}.part`));
  });

  it('creates each partial file once', async () => {
    await partials.create(ID);
    expect(await partials.offset(ID)).toBe(0);
    await expect(partials.create(ID)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('appends at the offset and keeps what was there before it', async () => {
    await partials.create(ID);
    expect(await writeAt(0, 'hello ')).toBe(6);
    expect(await writeAt(6, 'world')).toBe(11);
    expect(contents()).toBe('hello world');
  });

  it('cuts off bytes an earlier request left past the offset', async () => {
    await partials.create(ID);
    await writeAt(0, 'hello world, and then some');
    // A request that resumes at 6 and writes less than what is there leaves no stale tail.
    expect(await writeAt(6, 'there')).toBe(11);
    expect(contents()).toBe('hello there');
    expect(await partials.offset(ID)).toBe(11);
  });

  it('keeps everything when the new bytes reach past the old end', async () => {
    await partials.create(ID);
    await writeAt(0, 'hello wor');
    expect(await writeAt(6, 'everyone')).toBe(14);
    expect(contents()).toBe('hello everyone');
  });

  it('closes once however often close() is called, also without settle()', async () => {
    await partials.create(ID);
    const writer = await partials.append(ID, 0);
    expect(writersOpenOn(partials.pathFor(ID))).toBe(1);
    const first = writer.close();
    expect(writer.close()).toBe(first);
    await first;
    expect(writersOpenOn(partials.pathFor(ID))).toBe(0);
    await expect(writer.close()).resolves.toBeUndefined();
  });

  it('fails to open an upload whose partial file is gone', async () => {
    await expect(partials.append(ID, 0)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
