/** Reads Accept-Encoding (RFC 9110 12.5.3) well enough to pick among precompressed variants. */

/** Whether `coding` is acceptable (q > 0) under the Accept-Encoding header `header` (undefined: absent). */
export function acceptsCoding(header: string | undefined, coding: string): boolean {
  // No header, or an empty one: only the identity coding is safe to send.
  if (!header) return coding === 'identity';
  let own: number | undefined;
  let star: number | undefined;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const quality = Number.isNaN(q) ? 0 : q;
    if (name.trim() === coding) own = quality;
    else if (name.trim() === '*') star = quality;
  }
  if (own !== undefined) return own > 0;
  if (star !== undefined) return star > 0;
  return coding === 'identity';
}
