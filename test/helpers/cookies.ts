import type { Response } from 'supertest';

/** The Set-Cookie lines of a response. */
function setCookies(res: Response): string[] {
  const header = res.headers['set-cookie'] as unknown;
  if (!header) return [];
  return Array.isArray(header) ? (header as string[]) : [String(header)];
}

/** The Set-Cookie line that sets `name` (not `name.sig`), if any. */
export function setCookieLine(res: Response, name: string): string | undefined {
  return setCookies(res).find((line) => line.startsWith(`${name}=`));
}

/** The value `res` gives the cookie `name`, if it sets one. */
export function cookieValue(res: Response, name: string): string | undefined {
  const line = setCookieLine(res, name);
  return line ? decodeURIComponent(line.slice(name.length + 1).split(';')[0]) : undefined;
}

/** A Cookie request header replaying the session cookie (and its signature) that `res` set. */
export function sessionCookieHeader(res: Response, name = 'depot.sid'): string {
  const pairs = [name, `${name}.sig`].map((cookie) => {
    const value = cookieValue(res, cookie);
    if (!value) throw new Error(`the response sets no ${cookie} cookie`);
    return `${cookie}=${value}`;
  });
  return pairs.join('; ');
}
