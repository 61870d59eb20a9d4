import mongoose from 'mongoose';
import request from 'supertest';
import { ValidationError } from '../../src/errors';
import { COMMENT_BODY_MAX } from '../../src/features/comments/repository';
import type { User } from '../../src/features/accounts/users-repository';
import { FILE_ACTIVITY_LIMIT } from '../../src/features/activity/service';
import type { TestApp } from '../helpers/app';
import { buildUser } from '../helpers/agents';
import {
  MONGODB_URI,
  SQL_STORES,
  buildStoreApp,
  openStores,
  storedFile,
  uniqueMongoUri,
  type StoreKind,
} from '../helpers/stores';
import { eventually } from '../helpers/upload-checks';

const origin = { ip: '127.0.0.1', userAgent: 'contract-test' };

/** The same cases for every store: each implementation must behave identically. */
function contract(kind: StoreKind) {
  let t: TestApp & { mongoUri?: string };
  let stores: ReturnType<typeof openStores>;
  let owner: User;
  let other: User;
  let stranger: User;

  beforeAll(async () => {
    t = await buildStoreApp(kind);
    stores = openStores(kind, t);
    owner = (await buildUser(t)).user;
    other = (await buildUser(t)).user;
    stranger = (await buildUser(t)).user;
  });
  afterAll(async () => {
    await stores?.close();
    await t?.close();
  });

  describe('comments', () => {
    it('creates a comment with a trimmed body, a fresh id and a date, and finds it again', async () => {
      const file = await storedFile(t, owner, { visibility: 'public' });
      const created = await t.deps.comments.add(file.id, other, '  hello\nworld  ', origin);
      expect(created).toMatchObject({
        fileId: file.id,
        authorId: other.id,
        authorName: other.username,
        body: 'hello\nworld',
        editedAt: null,
      });
      expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(await stores.comments.findById(created.id)).toEqual(created);
      expect(await stores.comments.findById('nosuchcommentid000000')).toBeNull();
    });

    it('lists newest first, page by page, with the total', async () => {
      const file = await storedFile(t, owner);
      for (let n = 1; n <= 25; n += 1) await t.deps.comments.add(file.id, owner, `c${n}`, origin);
      const first = await t.deps.comments.list(file.id, owner, 1, 10);
      expect(first.total).toBe(25);
      expect(first.items.map((c) => c.body)).toEqual(
        Array.from({ length: 10 }, (_, i) => `c${25 - i}`),
      );
      const third = await stores.comments.listByFile(file.id, 3, 10);
      expect(third.items.map((c) => c.body)).toEqual(['c5', 'c4', 'c3', 'c2', 'c1']);
      expect((await stores.comments.listByFile(file.id, 4, 10)).items).toEqual([]);
    });

    it('counts comments per file for the files list', async () => {
      const a = await storedFile(t, owner);
      const b = await storedFile(t, owner);
      const c = await storedFile(t, owner);
      await t.deps.comments.add(a.id, owner, 'one', origin);
      await t.deps.comments.add(a.id, owner, 'two', origin);
      await t.deps.comments.add(b.id, owner, 'three', origin);
      expect(await t.deps.comments.countByFiles([a.id, b.id, c.id])).toEqual({
        [a.id]: 2,
        [b.id]: 1,
      });
      expect(await t.deps.comments.countByFiles([])).toEqual({});
    });

    it('lets the author delete their comment', async () => {
      const file = await storedFile(t, owner, { visibility: 'public' });
      const comment = await t.deps.comments.add(file.id, other, 'mine', origin);
      await t.deps.comments.remove(comment.id, other);
      expect(await stores.comments.findById(comment.id)).toBeNull();
    });

    it("lets the file owner delete someone else's comment", async () => {
      const file = await storedFile(t, owner, { visibility: 'public' });
      const comment = await t.deps.comments.add(file.id, other, 'spam', origin);
      await t.deps.comments.remove(comment.id, owner);
      expect(await stores.comments.findById(comment.id)).toBeNull();
    });

    it('refuses anyone else, and hides comments on files they cannot see', async () => {
      const file = await storedFile(t, owner, { visibility: 'public' });
      const comment = await t.deps.comments.add(file.id, other, 'keep me', origin);
      await expect(t.deps.comments.remove(comment.id, stranger)).rejects.toMatchObject({
        status: 403,
      });
      const hidden = await storedFile(t, owner);
      const ownerNote = await t.deps.comments.add(hidden.id, owner, 'private note', origin);
      await expect(t.deps.comments.remove(ownerNote.id, stranger)).rejects.toMatchObject({
        status: 404,
      });
      await expect(t.deps.comments.add(hidden.id, stranger, 'hi', origin)).rejects.toMatchObject({
        status: 404,
      });
      await expect(t.deps.comments.list(hidden.id, stranger, 1, 10)).rejects.toMatchObject({
        status: 404,
      });
      expect(await stores.comments.findById(comment.id)).not.toBeNull();
      expect(await stores.comments.findById(ownerNote.id)).not.toBeNull();
    });

    it('rejects empty, blank and over-long bodies naming `body`, in the service and in the store', async () => {
      const file = await storedFile(t, owner);
      for (const body of ['', '   \n\t ', 'x'.repeat(COMMENT_BODY_MAX + 1), 42, null]) {
        await expect(t.deps.comments.add(file.id, owner, body, origin)).rejects.toMatchObject({
          status: 422,
          details: { body: expect.any(String) },
        });
        const direct = stores.comments.create({
          fileId: file.id,
          authorId: owner.id,
          authorName: owner.username,
          body: body as string,
        });
        await expect(direct).rejects.toBeInstanceOf(ValidationError);
      }
      const longest = await t.deps.comments.add(
        file.id,
        owner,
        ` ${'é'.repeat(COMMENT_BODY_MAX)} `,
        origin,
      );
      expect(longest.body).toHaveLength(COMMENT_BODY_MAX);
      expect((await stores.comments.listByFile(file.id, 1, 10)).total).toBe(1);
    });

    it("deletes a file's comments with the file, and only that file's", async () => {
      const doomed = await storedFile(t, owner, { visibility: 'public' });
      const kept = await storedFile(t, owner, { visibility: 'public' });
      await t.deps.comments.add(doomed.id, other, 'first', origin);
      await t.deps.comments.add(doomed.id, owner, 'second', origin);
      await t.deps.comments.add(kept.id, other, 'stays', origin);
      await t.deps.files.remove(doomed.id, owner);
      expect((await stores.comments.listByFile(doomed.id, 1, 10)).total).toBe(0);
      expect((await stores.comments.listByFile(kept.id, 1, 10)).total).toBe(1);
      expect(await stores.comments.deleteByFile(kept.id)).toBe(1);
    });
  });

  describe('activity', () => {
    it("lists a user's own events and events on their files, newest first, paginated, without duplicates", async () => {
      const alice = (await buildUser(t)).user;
      const bob = (await buildUser(t)).user;
      const file = await storedFile(t, alice, { visibility: 'public', name: 'plan.txt' });
      const bobsFile = await storedFile(t, bob);
      t.deps.activity.record({ type: 'upload', userId: alice.id, fileId: file.id, ...origin });
      await t.deps.activity.flush();
      t.deps.activity.record({ type: 'download', userId: bob.id, fileId: file.id, ...origin });
      await t.deps.activity.flush();
      t.deps.activity.record({ type: 'share.download', userId: null, fileId: file.id, ...origin });
      await t.deps.activity.flush();
      t.deps.activity.record({ type: 'upload', userId: bob.id, fileId: bobsFile.id, ...origin });
      t.deps.activity.record({ type: 'signin', userId: alice.id, ...origin });
      await t.deps.activity.flush();

      const mine = await t.deps.activity.listForUser(alice, 1, 10);
      expect(mine.total).toBe(4);
      expect(mine.items.map((e) => e.type)).toEqual([
        'signin',
        'share.download',
        'download',
        'upload',
      ]);
      expect(mine.items[2]).toMatchObject({
        userId: bob.id,
        userName: bob.username,
        fileId: file.id,
        fileOwnerId: alice.id,
        fileName: 'plan.txt',
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
      const second = await stores.activity.listForUser(alice.id, 2, 3);
      expect(second.items.map((e) => e.type)).toEqual(['upload']);
      expect((await t.deps.activity.listForUser(bob, 1, 10)).items.map((e) => e.type)).toEqual([
        'upload',
        'download',
      ]);
    });

    it("shows a file's last events to its owner only", async () => {
      const alice = (await buildUser(t)).user;
      const file = await storedFile(t, alice);
      for (let n = 0; n < FILE_ACTIVITY_LIMIT + 2; n += 1)
        t.deps.activity.record({ type: 'download', userId: alice.id, fileId: file.id, ...origin });
      await t.deps.activity.flush();
      const events = await t.deps.activity.listForFile(file, alice);
      expect(events).toHaveLength(FILE_ACTIVITY_LIMIT);
      expect(events.every((e) => e.fileId === file.id)).toBe(true);
      const times = events.map((e) => e.at.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(await t.deps.activity.listForFile(file, stranger)).toEqual([]);
      expect(await t.deps.activity.listForFile(file, null)).toEqual([]);
    });

    it('rejects an unknown event type in the store and only logs it from the recorder', async () => {
      const event = {
        type: 'teleport',
        userId: owner.id,
        userName: owner.username,
        fileId: null,
        fileOwnerId: null,
        fileName: null,
        ...origin,
      };
      await expect(stores.activity.record(event as never)).rejects.toMatchObject({
        status: 422,
        details: { type: expect.any(String) },
      });
      const before = t.logs.length;
      expect(() => t.deps.activity.record(event as never)).not.toThrow();
      await t.deps.activity.flush();
      expect(t.logs.slice(before)).toContainEqual(
        expect.objectContaining({ msg: 'activity not recorded' }),
      );
    });

    it('cuts an over-long user agent instead of refusing the event', async () => {
      const saved = await stores.activity.record({
        type: 'signin',
        userId: owner.id,
        userName: owner.username,
        fileId: null,
        fileOwnerId: null,
        fileName: null,
        ip: '::1',
        userAgent: 'A'.repeat(5000),
      });
      expect(saved.userAgent).toHaveLength(512);
    });

    it('prunes events older than the cut-off (MongoDB where the server refuses the TTL index)', async () => {
      const alice = (await buildUser(t)).user;
      t.deps.activity.record({ type: 'signin', userId: alice.id, ...origin });
      await t.deps.activity.flush();
      expect(await stores.activity.prune(new Date(Date.now() - 60_000))).toBe(0);
      expect((await t.deps.activity.listForUser(alice, 1, 10)).total).toBe(1);
      const removed = await stores.activity.prune(new Date(Date.now() + 60_000));
      expect(removed).toBeGreaterThanOrEqual(1);
      expect((await t.deps.activity.listForUser(alice, 1, 10)).total).toBe(0);
    });
  });
}

describe.each(SQL_STORES)('comments and activity store contract (%s)', (kind) => contract(kind));

/** The readiness detail of `t`'s MongoDB once the indexes are made (server and expiry mode). */
async function mongoDetail(t: TestApp): Promise<Record<string, string>> {
  let detail: Record<string, string> = {};
  await eventually(async () => {
    const res = await request(t.server).get('/readyz');
    detail = res.body.details?.mongodb ?? {};
    return res.status === 200 && 'server' in detail;
  }, 15_000);
  return detail;
}

// CI runs this block against FerretDB (.ci/ferretdb.sh); any MongoDB server does too.
(MONGODB_URI ? describe : describe.skip)(
  `comments and activity store contract (mongodb${MONGODB_URI ? '' : ': skipped, set TEST_MONGODB_URI=mongodb://... to run'})`,
  () => {
    contract('mongodb');

    it('creates the indexes live, with a TTL index where the server takes one, else hourly pruning, and /readyz says which', async () => {
      // An event long expired, already stored before Depot starts.
      const mongoUri = uniqueMongoUri();
      const seed = await mongoose.createConnection(mongoUri).asPromise();
      const old = new Date(Date.now() - 400 * 86_400_000);
      await seed
        .collection('activities')
        .insertOne({ _id: 'expired-event-0000000', type: 'signin', at: old } as never);
      const t = await buildStoreApp('mongodb', mongoUri);
      try {
        const detail = await mongoDetail(t);
        const indexes = await seed.collection('activities').indexes();
        expect(indexes.map((index) => index.key)).toEqual(
          expect.arrayContaining([
            { userId: 1, at: -1 },
            { fileOwnerId: 1, at: -1 },
            { fileId: 1, at: -1 },
            { at: 1 },
          ]),
        );
        expect(
          (await seed.collection('comments').indexes()).map((index) => index.key),
        ).toContainEqual({ fileId: 1, createdAt: -1 });
        const ttl = indexes.find((index) => index.name === 'at_1')?.expireAfterSeconds;
        if (detail.server.startsWith('FerretDB')) {
          // FerretDB v1 answers NotImplemented to expireAfterSeconds: Depot prunes, at start-up and hourly.
          expect(detail).toEqual({
            server: 'FerretDB v1.24.2',
            activityExpiry: 'pruned hourly (the server refuses TTL indexes)',
          });
          expect(ttl).toBeUndefined();
          expect(t.logs).toContainEqual(
            expect.objectContaining({
              msg: 'mongodb refuses TTL indexes; expired activity is pruned hourly instead',
              codeName: 'NotImplemented',
            }),
          );
          await eventually(
            async () =>
              (await seed
                .collection('activities')
                .countDocuments({ _id: 'expired-event-0000000' } as never)) === 0,
          );
        } else {
          expect(detail).toMatchObject({
            server: expect.stringMatching(/^MongoDB /),
            activityExpiry: 'TTL index',
          });
          expect(ttl).toBe(t.deps.config.activityTtlDays * 86_400);
        }
      } finally {
        await seed.close();
        await t.close();
      }
    });
  },
);
