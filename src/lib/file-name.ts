/** Display names for uploaded files: safe to show and to put in headers, never used as a path. */

/** Longest display name, in UTF-8 bytes (the common file-system limit). */
export const MAX_NAME_BYTES = 255;
/** What an empty or unusable name becomes. */
export const FALLBACK_NAME = 'untitled';
/** Extensions up to this many bytes survive truncation of a long name. */
const MAX_KEPT_EXTENSION_BYTES = 32;

// C0/C1 controls and DEL, plus every bidi control (embeddings, overrides, isolates, marks): they can disguise
// `txt.exe` as `exe.txt` in a listing.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/** Cuts `text` to at most `maxBytes` UTF-8 bytes at a grapheme boundary (never half a character). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  let result = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const size = byteLength(segment);
    if (used + size > maxBytes) break;
    result += segment;
    used += size;
  }
  return result;
}

/** The last path component of a client-supplied name (browsers and curl may send `C:\dir\x` or `../x`). */
function baseName(name: string): string {
  const parts = name.split(/[/\\]+/).filter((part) => part !== '');
  return parts.length ? parts[parts.length - 1] : '';
}

/** Shortens a long name, keeping a short extension so the file still opens with the right program. */
function fitName(name: string): string {
  if (byteLength(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot) : '';
  if (extension && byteLength(extension) <= MAX_KEPT_EXTENSION_BYTES) {
    const stem = truncateUtf8(name.slice(0, dot), MAX_NAME_BYTES - byteLength(extension));
    return `${stem.trimEnd()}${extension}`;
  }
  return truncateUtf8(name, MAX_NAME_BYTES).trimEnd();
}

/**
 * Turns a client-supplied file name into a display name: path components, control characters and bidi
 * controls removed, Unicode kept (NFC), at most 255 UTF-8 bytes, and `untitled` when nothing is left.
 */
export function sanitizeFileName(raw: unknown): string {
  if (typeof raw !== 'string') return FALLBACK_NAME;
  const cleaned = raw.replace(LONE_SURROGATES, '').normalize('NFC').replace(UNSAFE_CHARS, '');
  const name = fitName(baseName(cleaned).trim());
  return name === '' || name === '.' || name === '..' ? FALLBACK_NAME : name;
}
