import mongoose, { Error as MongooseError } from 'mongoose';
import { createMongoConnection } from '../../../src/models/mongo';
import { COMMENT_BODY_MAX } from '../../../src/features/comments/repository';
import { ACTIVITY_TYPES } from '../../../src/features/activity/events';

// A connection that is never opened: documents are built and validated in memory, nothing is stored.
const { connection, models } = createMongoConnection({ activityTtlDays: 30 });
afterAll(() => connection.close());

/** The validation error of `doc` (validate() is what save() runs), or undefined when it is valid. */
const validationError = (doc: { validate(): Promise<void> }) =>
  doc.validate().then(
    () => undefined,
    (error: MongooseError.ValidationError) => error,
  );

const comment = (body: unknown) =>
  new models.Comment({ fileId: 'f'.repeat(22), authorId: 'a'.repeat(22), authorName: 'ann', body });

describe('Comment schema', () => {
  it('is registered on its own connection, not on the global mongoose', () => {
    expect(connection.models.Comment).toBe(models.Comment);
    expect(mongoose.models.Comment).toBeUndefined();
    expect(models.Comment.collection.collectionName).toBe('comments');
  });

  it('trims the body and accepts 1 to 2000 characters, with a random URL-safe id and a date', async () => {
    const doc = comment(`  ${'b'.repeat(COMMENT_BODY_MAX)}\n `);
    expect(await validationError(doc)).toBeUndefined();
    expect(doc.body).toHaveLength(COMMENT_BODY_MAX);
    expect(doc._id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(comment('x')._id).not.toBe(doc._id);
    expect(doc.createdAt).toBeInstanceOf(Date);
    expect(doc.editedAt).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['blank after trimming', ' \n\t '],
    ['too long', 'c'.repeat(COMMENT_BODY_MAX + 1)],
    ['missing', undefined],
  ])('rejects a body that is %s, naming `body`', async (_label, body) => {
    const error = await validationError(comment(body));
    expect(error).toBeInstanceOf(MongooseError.ValidationError);
    expect(Object.keys(error!.errors)).toEqual(['body']);
    expect(error!.errors.body.message).toBe('Write between 1 and 2000 characters.');
  });

  it.each([
    ['a number', 42],
    ['a boolean', true],
    ['an object', { $gt: '' }],
  ])('rejects a body that is %s instead of storing its text', async (_label, body) => {
    const error = await validationError(comment(body));
    expect(Object.keys(error?.errors ?? {})).toEqual(['body']);
    expect(error!.errors.body.message).toBe('Write between 1 and 2000 characters.');
  });

  it('requires the file, the author and the author name (validate, the async path save uses)', async () => {
    const doc = new models.Comment({ body: 'hi' });
    await expect(doc.validate()).rejects.toMatchObject({
      errors: {
        fileId: expect.anything(),
        authorId: expect.anything(),
        authorName: expect.anything(),
      },
    });
  });

  it('refuses fields the schema does not know', () => {
    expect(() => new models.Comment({ body: 'x', admin: true })).toThrow(/not in schema/);
  });

  it('declares the index the file page reads by: fileId ascending, createdAt descending', () => {
    expect(models.Comment.schema.indexes()).toEqual([
      [{ fileId: 1, createdAt: -1 }, expect.anything()],
    ]);
  });
});

describe('Activity schema', () => {
  const event = (fields: Record<string, unknown>) =>
    new models.Activity({
      type: 'download',
      userId: 'u'.repeat(22),
      ip: '::1',
      userAgent: 'ua',
      ...fields,
    });

  it.each(ACTIVITY_TYPES.map((type) => [type]))('accepts the %s type', async (type) => {
    expect(await validationError(event({ type }))).toBeUndefined();
  });

  it('rejects unknown and missing types, naming `type`', async () => {
    for (const type of ['delete', 'DOWNLOAD', undefined]) {
      const error = await validationError(event({ type }));
      expect(Object.keys(error?.errors ?? {})).toEqual(['type']);
    }
  });

  it('defaults optional ids to null and `at` to now', () => {
    const doc = event({ type: 'signin' });
    expect(doc.fileId).toBeNull();
    expect(doc.fileOwnerId).toBeNull();
    expect(Math.abs(doc.at.getTime() - Date.now())).toBeLessThan(5000);
    expect(models.Activity.collection.collectionName).toBe('activities');
  });

  it('rejects an over-long user agent (the repository cuts it first)', async () => {
    const error = await validationError(event({ userAgent: 'u'.repeat(513) }));
    expect(Object.keys(error!.errors)).toEqual(['userAgent']);
  });

  it('declares the /activity and file-page indexes and a TTL index of ACTIVITY_TTL_DAYS', () => {
    const indexes = models.Activity.schema.indexes();
    expect(indexes.map(([keys]) => keys)).toEqual([
      { userId: 1, at: -1 },
      { fileOwnerId: 1, at: -1 },
      { fileId: 1, at: -1 },
      { at: 1 },
    ]);
    const ttl = indexes.find(([keys]) => 'at' in keys && Object.keys(keys).length === 1);
    expect(ttl?.[1]).toMatchObject({ expireAfterSeconds: 30 * 86_400 });
  });

  it('leaves index creation to ensureIndexes, which sees a refused TTL index (Mongoose would only emit it)', () => {
    for (const model of [models.Activity, models.Comment])
      expect(model.schema.get('autoIndex')).toBe(false);
    expect(connection.get('autoIndex')).toBe(false);
    expect(connection.get('autoCreate')).toBe(false);
  });

  it('builds the TTL from each connection’s own setting', () => {
    const other = createMongoConnection({ activityTtlDays: 180 });
    const ttl = other.models.Activity.schema
      .indexes()
      .find(([, options]) => options.expireAfterSeconds);
    expect(ttl?.[1].expireAfterSeconds).toBe(180 * 86_400);
    return other.connection.close();
  });
});
