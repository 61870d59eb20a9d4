import type { Sequelize } from 'sequelize';
import { createLogger } from '../../../src/logger';
import { createSequelize, defineModels } from '../../../src/models/sql';
import { migrateToLatest } from '../../../src/models/sql/migrator';
import { createUploadRepository, type UploadRepository } from '../../../src/repositories/uploads';
import { createUserRepository } from '../../../src/repositories/users';
import { createTestDatabase, DATABASES, makeTempDir } from '../../helpers/databases';

describe.each(DATABASES)('UploadRepository (%s)', (kind) => {
  let sequelize: Sequelize;
  let uploads: UploadRepository;
  let drop: () => Promise<void>;
  const ownerId = 'owner-of-the-uploads-1';

  beforeAll(async () => {
    const database = await createTestDatabase(kind, makeTempDir('depot-uploads-repo-'));
    drop = database.drop;
    const logger = createLogger({ level: 'silent' });
    sequelize = createSequelize(database.url, logger);
    await migrateToLatest(sequelize, logger);
    const models = defineModels(sequelize);
    await createUserRepository(models.User).create({
      id: ownerId,
      username: 'uploader',
      passwordHash: null,
      role: 'user',
    });
    uploads = createUploadRepository(models.Upload);
  });
  afterAll(async () => {
    await sequelize.close();
    await drop();
  });

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
