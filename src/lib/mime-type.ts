import mime from 'mime-types';

const GENERIC = 'application/octet-stream';
const ESSENCE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The MIME type to record for an upload: the client's declared type when it is well formed and specific,
 * else the one the extension suggests, else application/octet-stream. It is a label, never trusted for
 * inline display (the /view route decides that on its own).
 */
export function resolveMimeType(declared: unknown, fileName: string): string {
  const essence = typeof declared === 'string' ? declared.split(';')[0].trim().toLowerCase() : '';
  if (ESSENCE.test(essence) && essence !== GENERIC) return essence;
  const guessed = mime.lookup(fileName);
  return guessed || GENERIC;
}
