import type { FileListQuery, FileSort, SortOrder } from './repository';

const SORTS: FileSort[] = ['name', 'size', 'date'];
/** Names read best A to Z; sizes and dates biggest / newest first. */
const DEFAULT_ORDER: Record<FileSort, SortOrder> = { name: 'asc', size: 'desc', date: 'desc' };
const MAX_QUERY_CHARS = 200;

const first = (value: unknown) => (Array.isArray(value) ? value[0] : value);
const text = (value: unknown) => {
  const found = first(value);
  return typeof found === 'string' ? found : '';
};

function positiveInt(value: unknown, fallback: number, max: number): number | null {
  const raw = text(value);
  if (raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) return null;
  return Math.min(Number(raw), max);
}

/** A listing query read from the URL, plus which parameter was unreadable (the API names it in a 422). */
export interface ParsedFileQuery {
  query: FileListQuery;
  invalid: Record<string, string>;
}

/** Reads q, sort, order, page and per_page; bad values fall back to defaults and are reported in `invalid`. */
export function parseFileQuery(
  params: Record<string, unknown>,
  options: { perPage: number; maxPerPage: number },
): ParsedFileQuery {
  const invalid: Record<string, string> = {};
  const sortText = text(params.sort);
  const sort = (SORTS as string[]).includes(sortText) ? (sortText as FileSort) : 'date';
  if (sortText && sort !== sortText) invalid.sort = 'Use name, size or date.';
  const orderText = text(params.order);
  const order = orderText === 'asc' || orderText === 'desc' ? orderText : DEFAULT_ORDER[sort];
  if (orderText && order !== orderText) invalid.order = 'Use asc or desc.';
  const page = positiveInt(params.page, 1, 1_000_000);
  if (page === null) invalid.page = 'Use a whole number from 1.';
  const perPage = positiveInt(params.per_page, options.perPage, options.maxPerPage);
  if (perPage === null) invalid.per_page = `Use a whole number from 1 to ${options.maxPerPage}.`;
  const q = text(params.q).trim().slice(0, MAX_QUERY_CHARS);
  return {
    query: { q: q || undefined, sort, order, page: page ?? 1, perPage: perPage ?? options.perPage },
    invalid,
  };
}
