import type { Context } from 'koa';

// Bounded so a session that opens many links does not grow without limit.
const MAX_REMEMBERED = 50;

function remembered(ctx: Context, key: 'shareUnlocks'): string[] {
  const list = ctx.session?.[key];
  return Array.isArray(list) ? (list as string[]) : [];
}

function remember(ctx: Context, key: 'shareUnlocks', shareId: string): void {
  if (!ctx.session) return;
  const list = remembered(ctx, key).filter((id) => id !== shareId);
  ctx.session[key] = [...list, shareId].slice(-MAX_REMEMBERED);
}

/** This browser entered the share's password. */
export const isUnlocked = (ctx: Context, shareId: string) =>
  remembered(ctx, 'shareUnlocks').includes(shareId);
/** Remembers that this browser entered the share's password. */
export const rememberUnlock = (ctx: Context, shareId: string) =>
  remember(ctx, 'shareUnlocks', shareId);
