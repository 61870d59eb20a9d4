import type { ActivityType } from './events';
import type { PageOf } from '../comments/repository';

/** One recorded event, with the names it needs to be shown after its file or user is gone. */
export interface ActivityRecord {
  id: string;
  type: ActivityType;
  userId: string | null;
  userName: string | null;
  fileId: string | null;
  /** The owner of `fileId` when the event happened, so "events on my files" is one indexed query. */
  fileOwnerId: string | null;
  fileName: string | null;
  ip: string;
  userAgent: string;
  at: Date;
}

/** An event to store; the store assigns id and `at`. */
export type NewActivity = Omit<ActivityRecord, 'id' | 'at'>;

/** Persistence of activity events (SQL or MongoDB). */
export interface ActivityRepository {
  record(event: NewActivity): Promise<ActivityRecord>;
  /** The user's own events and events on files they own, newest first; `page` starts at 1. */
  listForUser(userId: string, page: number, perPage: number): Promise<PageOf<ActivityRecord>>;
  /** The latest `limit` events of one file, newest first. */
  listForFile(fileId: string, limit: number): Promise<ActivityRecord[]>;
  /** Deletes events older than `before` (SQL; MongoDB's TTL index does this itself). */
  prune(before: Date): Promise<number>;
}

/** Longest stored user agent; longer ones are cut (they are only informative). */
export const USER_AGENT_MAX = 512;
