import contentDisposition from 'content-disposition';

// Control characters can split a header (CR/LF) or confuse clients; they never belong in a name.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Path separators would let a client save outside its download folder on some platforms.
const SEPARATORS = /[/\\]/g;

/** The name as it may appear in a header: no controls, no separators, never empty. */
function safeFileName(name: string): string {
  const cleaned = name.replace(CONTROL, ' ').replace(SEPARATORS, '_').trim();
  return cleaned || 'download';
}

/** A printable-ASCII stand-in for clients that ignore filename* (accents stripped, rest as _). */
function asciiFallback(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_');
}

/** A Content-Disposition value (RFC 6266) with an ASCII `filename` and, if needed, a UTF-8 `filename*` (RFC 8187). */
export function dispositionHeader(type: 'attachment' | 'inline', name: string): string {
  const safe = safeFileName(name);
  return contentDisposition(safe, { type, fallback: asciiFallback(safe) });
}
