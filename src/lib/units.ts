/** Parsers for human-friendly sizes ("10GiB") and durations ("7d"); both return null when unreadable. */

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses "1048576", "512 KiB", "10GiB" (binary units) into bytes. */
export function parseSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return null;
  const unit = SIZE_UNITS[match[2].toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  '': 1000,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses "3600" (seconds), "15m", "1h", "7d" into milliseconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/i.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * DURATION_UNITS[(match[2] ?? '').toLowerCase()];
  return Number.isSafeInteger(ms) ? ms : null;
}

/** Formats bytes for people: 0 B, 1.5 KiB, 10 GiB. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let index = 0;
  // Values of 100 and more print without decimals, so 1023.6 KiB would read "1024 KiB": step up from 1023.5.
  while (value >= 1023.5 && index < units.length - 1) {
    value /= 1024;
    index += 1;
  }
  const digits = index === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits).replace(/\.0$/, '')} ${units[index]}`;
}
