import { randomBytes } from 'node:crypto';

/** A random, URL-safe id: 16 random bytes as 22 base64url characters (never sequential). */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** A longer random token for links that are secrets themselves (share links): 32 bytes, 43 chars. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The form of every id and token we issue (and so of every storage key and upload id): base64url, 16-64 chars. */
const ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** True when `text` looks like an id or token we issued (cheap filter before a database lookup). */
export function isWellFormedId(text: string): boolean {
  return ID_PATTERN.test(text);
}
