const BASE = 'http://depot.invalid';
// "//host" and "/\host" are other sites to browsers.
const OTHER_SITE = /^\/[/\\]/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;
// An encoded slash or backslash in the path is never ours and some proxies decode it into "//host".
const ENCODED_SEPARATOR = /%(2f|5c)/i;

/** Returns `candidate` if it is a path on this site, otherwise `fallback` (never an open redirect). */
export function safeNext(candidate: unknown, fallback = '/files'): string {
  if (typeof candidate !== 'string' || candidate.length > 2048) return fallback;
  if (!candidate.startsWith('/') || OTHER_SITE.test(candidate) || FORBIDDEN.test(candidate))
    return fallback;
  try {
    const url = new URL(candidate, BASE);
    if (url.origin !== BASE) return fallback;
    const path = `${url.pathname}${url.search}${url.hash}`;
    // Dot segments are resolved by the parse: "/..//evil.example" becomes "//evil.example", so check again.
    return OTHER_SITE.test(path) || ENCODED_SEPARATOR.test(url.pathname) ? fallback : path;
  } catch {
    return fallback;
  }
}
