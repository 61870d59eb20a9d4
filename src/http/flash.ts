import type { Context } from 'koa';

/** A one-time message shown on the next page the user sees. */
export interface FlashMessage {
  type: 'success' | 'error' | 'info';
  message: string;
}

/** Queues a message for the next rendered page (kept in the session, so it survives a redirect). */
export function flash(ctx: Context, type: FlashMessage['type'], message: string): void {
  if (!ctx.session) return;
  const queue = (ctx.session.flash as FlashMessage[] | undefined) ?? [];
  ctx.session.flash = [...queue, { type, message }];
}

/** Returns and clears the queued messages. */
export function takeFlash(ctx: Context): FlashMessage[] {
  const session = ctx.session;
  if (!session || !session.flash) return [];
  const messages = session.flash as FlashMessage[];
  delete session.flash;
  return messages;
}
