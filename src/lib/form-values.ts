/** The first of a repeated query parameter (`?q=a&q=b` reads as `a`), or the value itself. */
export const firstValue = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

/** A form or query field as text: the string itself, '' for anything else (absent, repeated, an object). */
export const text = (value: unknown): string => (typeof value === 'string' ? value : '');
