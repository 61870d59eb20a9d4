/**
 * Reads one text field from the head of a multipart/form-data body (RFC 7578), before any file part:
 * enough to check a form's CSRF token before a byte of its files is stored. Pure: buffers in, answer out.
 */

/** The field's value; `absent` when a file part, or the end of the form, comes first; `more` to wait. */
export type LeadingField = { value: string } | { absent: true } | { more: true };

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** The boundary parameter of a multipart Content-Type, or null (RFC 2046 5.1.1). */
export function multipartBoundary(contentType: string): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : null;
}

/** The `name` and whether the part is a file, from a part's header block. */
function describePart(headers: string): { name: string | null; isFile: boolean } {
  const disposition = headers
    .split('\r\n')
    .find((line) => /^content-disposition\s*:/i.test(line))
    ?.replace(/^[^:]*:/, '');
  if (!disposition) return { name: null, isFile: false };
  const name = /(?:^|;)\s*name\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(disposition);
  return {
    name: name ? (name[1] ?? name[2]) : null,
    isFile: /(?:^|;)\s*filename\*?\s*=/i.test(disposition),
  };
}

/**
 * Walks the parts at the start of `head` until the text field `field`, a file part or the end of the
 * form. Text fields before it are skipped; a part cut off by the end of `head` asks for more.
 */
export function leadingField(head: Buffer, boundary: string, field: string): LeadingField {
  const delimiter = Buffer.from(`--${boundary}`);
  // A preamble before the first delimiter is allowed (and ignored) by RFC 2046.
  let at = head.subarray(0, delimiter.length).equals(delimiter)
    ? 0
    : head.indexOf(Buffer.concat([CRLF, delimiter]));
  if (at < 0) return { more: true };
  if (at > 0) at += CRLF.length;
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (head.length < afterDelimiter + 2) return { more: true };
    // "--" after the delimiter closes the form.
    if (head[afterDelimiter] === 0x2d && head[afterDelimiter + 1] === 0x2d) return { absent: true };
    const headersStart = afterDelimiter + 2; // the CRLF (or transport padding) after the delimiter
    const headersEnd = head.indexOf(HEADERS_END, headersStart - 2);
    if (headersEnd < 0) return { more: true };
    const part = describePart(head.subarray(headersStart, headersEnd).toString('latin1'));
    if (part.isFile) return { absent: true };
    const bodyStart = headersEnd + HEADERS_END.length;
    const next = head.indexOf(Buffer.concat([CRLF, delimiter]), bodyStart);
    if (next < 0) return { more: true };
    if (part.name === field) return { value: head.subarray(bodyStart, next).toString('utf8') };
    at = next + CRLF.length;
  }
}
