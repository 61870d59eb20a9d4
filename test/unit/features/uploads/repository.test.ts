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
    const one = await uploads.create({
      id: 'upload-offset-test-002',
      ownerId,
      size: 9,
      metadata: {},
    });
    const two = await uploads.create({
      id: 'upload-offset-test-003',
      ownerId,
      size: 9,
      metadata: {},
    });
    await uploads.setOffset(one.id, 5);
    expect((await uploads.find(one.id))?.offset).toBe(5);
    expect(await uploads.find(two.id)).toMatchObject({ offset: 0, updatedAt: two.updatedAt });
  });
});
