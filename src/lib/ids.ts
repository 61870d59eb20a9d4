import { randomBytes } from 'node:crypto';

/** A random, URL-safe id: 16 random bytes as 22 base64url characters (never sequential). */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** A longer random token for links that are secrets themselves (share links): 32 bytes, 43 chars. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** True when `text` looks like an id or token we issued (cheap filter before a database lookup). */
export function isWellFormedId(text: string): boolean {
  return /^[A-Za-z0-9_-]{16,64}$/.test(text);
}
