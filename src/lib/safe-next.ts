/** Returns `candidate` if it is a path on this site, otherwise `fallback` (never an open redirect). */
export function safeNext(candidate: unknown, fallback = '/files'): string {
  if (typeof candidate !== 'string' || candidate.length > 2048) return fallback;
  // Only a single leading slash: "//host" and "/\host" are other sites to browsers; no control characters.
  // eslint-disable-next-line no-control-regex
  if (!/^\/(?![/\\])/.test(candidate) || /[\u0000-\u001f\u007f\\]/.test(candidate)) return fallback;
  try {
    const base = 'http://depot.invalid';
    const url = new URL(candidate, base);
    if (url.origin !== base) return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}
