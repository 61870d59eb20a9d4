/** The kinds of events Depot records. */
export const ACTIVITY_TYPES = [
  'upload',
  'download',
  'share.create',
  'share.download',
  'comment',
  'signin',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** One event as callers report it. */
export interface ActivityEvent {
  type: ActivityType;
  userId: string | null;
  fileId?: string | null;
  ip: string;
  userAgent: string;
  /** Optional when the caller already has them; the recorder looks up what is missing. */
  fileOwnerId?: string | null;
  fileName?: string | null;
  userName?: string | null;
}

/** Records events without ever slowing or failing the request that caused them. */
export interface ActivityRecorder {
  /** Fire-and-forget: returns at once; a failure is logged, never thrown. */
  record(event: ActivityEvent): void;
  /** Resolves when the writes started so far have settled (tests, shutdown). */
  flush?(): Promise<void>;
}
