import {
  createUploadRepository,
  type UploadRepository,
} from '../../../../src/features/uploads/repository';
import { buildUser } from '../../../helpers/agents';
import { buildTestApp, type TestApp } from '../../../helpers/app';
import { DATABASES } from '../../../helpers/databases';

describe.each(DATABASES)('UploadRepository (%s)', (kind) => {
  let t: TestApp;
  let uploads: UploadRepository;
  let ownerId: string;

  beforeAll(async () => {
    t = await buildTestApp({ db: kind });
    ownerId = (await buildUser(t)).user.id;
    uploads = createUploadRepository(t.deps.models.Upload);
  });
  afterAll(() => t.close());
  const createUpload = (id: string, size: number) =>
    uploads.create({ id, ownerId, size, metadata: {} });

  it('setOffset records the offset and the time of the write, to the millisecond', async () => {
    const created = await uploads.create({
      id: 'upload-offset-test-001',
      ownerId,
      size: 100,
      metadata: { filename: 'a.bin' },
    });
    await new Promise((resolve) => setTimeout(resolve, 15));
    const before = Date.now();
    await uploads.setOffset(created.id, 42);
    const after = Date.now();

    const found = await uploads.find(created.id);
    expect(found).toMatchObject({ id: created.id, offset: 42, size: 100, status: 'receiving' });
    const written = found!.updatedAt.getTime();
    expect(written).toBeGreaterThanOrEqual(before);
    expect(written).toBeLessThanOrEqual(after);
    expect(written).toBeGreaterThan(created.updatedAt.getTime());
  });

  it('setOffset touches only its own upload', async () => {
    const one = await createUpload('upload-offset-test-002', 9);
    const two = await createUpload('upload-offset-test-003', 9);
    await uploads.setOffset(one.id, 5);
    expect((await uploads.find(one.id))?.offset).toBe(5);
    expect(await uploads.find(two.id)).toMatchObject({ offset: 0, updatedAt: two.updatedAt });
  });

  it('advanceOffset raises the offset, never lowers it, and leaves an upload that is no longer receiving alone', async () => {
    const upload = await createUpload('upload-advance-test-01', 100);
    await uploads.advanceOffset(upload.id, 40);
    await uploads.advanceOffset(upload.id, 30);
    expect((await uploads.find(upload.id))?.offset).toBe(40);
    await uploads.setStatus(upload.id, 'completing');
    await uploads.advanceOffset(upload.id, 90);
    expect(await uploads.find(upload.id)).toMatchObject({ offset: 40, status: 'completing' });
    await uploads.advanceOffset('no-such-upload', 10);
  });

  it('promisedBytes sums what each receiving upload may still send', async () => {
    const before = await uploads.promisedBytes();
    const one = await createUpload('upload-promised-01', 50);
    await createUpload('upload-promised-02', 7);
    await uploads.setOffset(one.id, 20);
    expect(await uploads.promisedBytes()).toBe(before + 30 + 7);
    await uploads.setStatus(one.id, 'done');
    expect(await uploads.promisedBytes()).toBe(before + 7);
  });
});
