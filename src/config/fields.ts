import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { parseDuration, parseSize } from '../lib/units';
import type { ProxyTrust } from './types';

// zod fields for the environment's strings: each names the form it expects in its message.

/** The bytes `text` names, or an issue with `message` when it is not a positive size. */
function readSize(text: string, ctx: z.RefinementCtx, message: string): number {
  const bytes = parseSize(text);
  if (bytes !== null && bytes > 0) return bytes;
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** A positive size ("10GiB", "1048576"). */
export const size = (label: string) =>
  z
    .string()
    .transform((text, ctx) =>
      readSize(text, ctx, `must be a positive size such as 1048576 or ${label}`),
    );

/** A positive duration ("24h", "5m"). */
export const duration = (example: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be a positive duration such as ${example}` });
      return z.NEVER;
    }
    return ms;
  });

/** A URL with one of `protocols`. */
export const url = (protocols: string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const MAX_PROXY_HOPS = 10;

/** TRUST_PROXY: false/0 (none), a number of hops, true (deprecated: 1 hop), or a list of addresses/CIDRs. */
export const proxyTrust = z.string().transform((raw, ctx): ProxyTrust => {
  const text = raw.trim().toLowerCase();
  if (['false', 'no', '0'].includes(text)) return { hops: 0, addresses: [], deprecatedTrue: false };
  if (['true', 'yes'].includes(text)) return { hops: 1, addresses: [], deprecatedTrue: true };
  if (/^\d+$/.test(text) && Number(text) <= MAX_PROXY_HOPS)
    return { hops: Number(text), addresses: [], deprecatedTrue: false };
  const addresses = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    if (!addresses.length || /^\d+$/.test(text)) throw new Error('not a list');
    proxyaddr.compile(addresses);
    return { hops: 0, addresses, deprecatedTrue: false };
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `must be false, a number of proxy hops (1 to ${MAX_PROXY_HOPS}) or a comma-separated list of proxy addresses or CIDRs such as 10.0.0.0/8,::1`,
    });
    return z.NEVER;
  }
});

/** A whole number within [min, max]. */
export const intRange = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

/** A positive size, or `unlimited` / empty for no limit (Infinity). */
export const quota = z
  .string()
  .transform((text, ctx) =>
    ['', 'unlimited'].includes(text.trim().toLowerCase())
      ? Infinity
      : readSize(text, ctx, 'must be a positive size such as 5GiB, or unlimited'),
  );
