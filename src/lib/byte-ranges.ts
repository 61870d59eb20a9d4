import parseRange from 'range-parser';

/** An inclusive byte range of the representation. */
export interface Span {
  start: number;
  end: number;
}

/** What a Range header asks for: the whole file, some spans, or nothing satisfiable (416). */
export type RangeRequest =
  { kind: 'full' } | { kind: 'partial'; spans: Span[] } | { kind: 'unsatisfiable' };

/** More ranges than this (after coalescing) is treated as abuse and answered with the whole file. */
const MAX_RANGES = 16;

// RFC 9110 14.1.1: ranges-specifier = range-unit "=" range-set; only "bytes" is ours.
const RANGE_UNIT = /^\s*bytes\s*=/i;
const RANGE_SPEC = /^\s*(?:(\d+)-(\d*)|-(\d+))\s*$/;

/**
 * Checks the byte-range-set syntax that range-parser is lenient about (first-pos > last-pos is
 * invalid, not unsatisfiable) and rewrites a suffix longer than the file as the whole file,
 * which RFC 9110 says it means (range-parser would call it unsatisfiable).
 */
function normalize(header: string, size: number): string | null {
  const unit = RANGE_UNIT.exec(header);
  if (!unit) return null;
  const specs = header.slice(unit[0].length).split(',');
  const out: string[] = [];
  for (const spec of specs) {
    if (spec.trim() === '') continue; // empty list elements are allowed by the # rule
    const match = RANGE_SPEC.exec(spec);
    if (!match) return null;
    const [, first, last, suffix] = match;
    if (suffix !== undefined) {
      out.push(Number(suffix) > size ? '0-' : `-${suffix}`);
      continue;
    }
    if (last !== '' && Number(last) < Number(first)) return null;
    out.push(`${first}-${last}`);
  }
  return out.length ? `bytes=${out.join(',')}` : null;
}

/**
 * Evaluates a Range header against a representation of `size` bytes (RFC 9110 section 14):
 * malformed or other units are ignored (full), overlapping/adjacent ranges are coalesced,
 * and too many ranges fall back to the full representation so a response is never amplified.
 */
export function evaluateRange(header: string | undefined, size: number): RangeRequest {
  // A zero-length file has no bytes to select; ignoring Range (allowed by RFC 9110) is simplest.
  if (!header || size === 0) return { kind: 'full' };
  const normalized = normalize(header, size);
  if (!normalized) return { kind: 'full' };
  const parsed = parseRange(size, normalized, { combine: true });
  if (parsed === -1) return { kind: 'unsatisfiable' };
  if (parsed === -2 || parsed.length > MAX_RANGES) return { kind: 'full' };
  const spans = parsed.map(({ start, end }) => ({ start, end }));
  const total = spans.reduce((sum, span) => sum + span.end - span.start + 1, 0);
  if (total > size) return { kind: 'full' };
  return { kind: 'partial', spans };
}
