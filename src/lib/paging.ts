import { firstValue } from './form-values';

/** A page number or page size from the URL: `fallback` when absent, capped at `max`, null when unreadable. */
export function readPositiveInt(value: unknown, fallback: number, max: number): number | null {
  const raw = firstValue(value);
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1) return null;
  return Math.min(Number(raw), max);
}

/** How many pages `total` items make at `perPage` (at least one, so "page 1 of 1" reads right when empty). */
export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / perPage));
}
