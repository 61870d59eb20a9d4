import { firstValue, text } from '../../lib/form-values';
import { readPositiveInt } from '../../lib/paging';
import type { FileListQuery, FileSort, SortOrder } from './repository';

const SORTS: FileSort[] = ['name', 'size', 'date'];
/** Names read best A to Z; sizes and dates biggest / newest first. */
const DEFAULT_ORDER: Record<FileSort, SortOrder> = { name: 'asc', size: 'desc', date: 'desc' };
const MAX_QUERY_CHARS = 200;

/** A query parameter as text (the first one when repeated). */
const param = (value: unknown) => text(firstValue(value));

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
  const sortText = param(params.sort);
  const sort = (SORTS as string[]).includes(sortText) ? (sortText as FileSort) : 'date';
  if (sortText && sort !== sortText) invalid.sort = 'Use name, size or date.';
  const orderText = param(params.order);
  const order = orderText === 'asc' || orderText === 'desc' ? orderText : DEFAULT_ORDER[sort];
  if (orderText && order !== orderText) invalid.order = 'Use asc or desc.';
  const page = readPositiveInt(params.page, 1, 1_000_000);
  if (page === null) invalid.page = 'Use a whole number from 1.';
  const perPage = readPositiveInt(params.per_page, options.perPage, options.maxPerPage);
  if (perPage === null) invalid.per_page = `Use a whole number from 1 to ${options.maxPerPage}.`;
  const q = param(params.q).trim().slice(0, MAX_QUERY_CHARS);
  return {
    query: { q: q || undefined, sort, order, page: page ?? 1, perPage: perPage ?? options.perPage },
    invalid,
  };
}
