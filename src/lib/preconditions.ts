import fresh from 'fresh';

/** The validators of the selected representation. */
export interface Validators {
  /** A strong entity tag, quoted: `"abc"`. */
  etag: string;
  lastModified: Date;
}

/** Request header values (lower-case names), as Node gives them. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** The outcome of RFC 9110 section 13.2.2 for a GET or HEAD. */
export type PreconditionResult = 'proceed' | 'not-modified' | 'failed';

const header = (headers: RequestHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** Splits an entity-tag list (`"a", W/"b"`); commas inside tags are not allowed by the grammar. */
function entityTags(list: string): string[] {
  return list
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}

/** Strong comparison (RFC 9110 8.8.3.2): both tags strong and identical. */
function strongMatch(tag: string, etag: string): boolean {
  return !tag.startsWith('W/') && !etag.startsWith('W/') && tag === etag;
}

/** An HTTP date in whole seconds, or null when it is not a valid date. */
function httpDateSeconds(value: string): number | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Steps 1-4 of RFC 9110 13.2.2: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */
export function evaluatePreconditions(
  headers: RequestHeaders,
  validators: Validators,
): PreconditionResult {
  const ifMatch = header(headers, 'if-match');
  if (ifMatch !== undefined) {
    const tags = entityTags(ifMatch);
    if (!tags.includes('*') && !tags.some((tag) => strongMatch(tag, validators.etag))) {
      return 'failed';
    }
  } else {
    const ifUnmodifiedSince = header(headers, 'if-unmodified-since');
    const since = ifUnmodifiedSince === undefined ? null : httpDateSeconds(ifUnmodifiedSince);
    if (since !== null && seconds(validators.lastModified) > since) return 'failed';
  }
  // fresh does steps 3 and 4 (weak comparison, If-None-Match wins over If-Modified-Since). The
  // request's Cache-Control is left out: no-cache is about caches, an origin still answers 304.
  const isFresh = fresh(
    {
      'if-none-match': header(headers, 'if-none-match'),
      'if-modified-since': header(headers, 'if-modified-since'),
    },
    { etag: validators.etag, 'last-modified': validators.lastModified.toUTCString() },
  );
  return isFresh ? 'not-modified' : 'proceed';
}

/** Step 5: whether a Range may be honoured given If-Range (strong ETag or exact date match). */
export function ifRangeAllows(headers: RequestHeaders, validators: Validators): boolean {
  const ifRange = header(headers, 'if-range')?.trim();
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) {
    return strongMatch(ifRange, validators.etag);
  }
  const date = httpDateSeconds(ifRange);
  return date !== null && date === seconds(validators.lastModified);
}
