import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import { ValidationError } from '../../errors';
import {
  GRANT_COOKIE,
  GRANT_TTL_MS,
  grantHolds,
  signGrant,
  type GrantSubject,
} from '../../lib/download-grant';
import { inlineContentType } from '../../lib/inline-types';
import { tryAgainIn } from '../../lib/retry-wording';
import { flash } from '../../http/flash';
import type { ActivityRecorder } from '../activity/events';
import type { AttemptLimiter } from '../accounts/rate-limit';
import type { OpenedShare, ShareService } from './service';
import type { BodyStartInfo } from '../../http/content/send-content';
import { sendFileDownload, sendFileView, type FileContentDeps } from '../files/content';
import { attemptOrWait } from '../accounts/rate-limited';
import { isUnlocked, rememberUnlock } from './unlocks';

const messages = {
  created: 'Share link created. Copy it from the list below.',
  invalid: (details: Record<string, string>) =>
    `The share link was not created: ${Object.values(details).join(' ')}`,
  revoked: 'Share link revoked. It no longer works.',
  wrongPassword: 'That password is wrong.',
  tooManyAttempts: (seconds: number) =>
    `Too many attempts with a wrong password for this link. ${tryAgainIn(seconds)}`,
};

type Body = Record<string, unknown>;

const grantSubject = (opened: OpenedShare): GrantSubject => ({
  shareToken: opened.share.token,
  sha256: opened.file.sha256,
});
/** The app's signing keys (APP_KEYS, the first one current): grants are signed with them like the session cookie. */
const appKeys = (ctx: Context): string[] => (Array.isArray(ctx.app.keys) ? ctx.app.keys : []);
const downloadPath = (token: string) => `/s/${encodeURIComponent(token)}/download`;

/** Whether this client holds a grant from a counted download of this link (it may resume for free). */
function holdsGrant(ctx: Context, opened: OpenedShare): boolean {
  return grantHolds(appKeys(ctx), ctx.cookies.get(GRANT_COOKIE), grantSubject(opened), Date.now());
}

/** Gives the client of a counted download its grant: a signed cookie only that link's download path gets. */
function giveGrant(ctx: Context, opened: OpenedShare): void {
  if (!appKeys(ctx).length) return;
  ctx.cookies.set(GRANT_COOKIE, signGrant(appKeys(ctx), grantSubject(opened), Date.now()), {
    path: downloadPath(opened.share.token),
    maxAge: GRANT_TTL_MS,
    httpOnly: true,
    sameSite: 'lax',
    overwrite: true,
  });
}

/** Share links: created and revoked from the file page, opened by anyone with the link. */
export function createSharesController(
  deps: FileContentDeps & {
    shares: ShareService;
    limiter: AttemptLimiter;
    activity: ActivityRecorder;
  },
) {
  const { shares } = deps;
  const event = (ctx: Context, type: 'share.create' | 'share.download', fileId: string) =>
    deps.activity.record({
      type,
      userId: ctx.state.user?.id ?? null,
      fileId,
      ip: ctx.ip,
      userAgent: ctx.get('User-Agent'),
    });

  /** The share, refusing dead links (410) and exhausted ones, unless `resumable` (a grant holder's download). */
  async function openShare(ctx: RouterContext, resumable = false): Promise<OpenedShare> {
    const opened = await shares.open(ctx.params.token);
    if (opened.state === 'exhausted' && !(resumable && holdsGrant(ctx, opened)))
      shares.assertActive(opened.share);
    return opened;
  }
  const locked = (ctx: Context, opened: OpenedShare) =>
    opened.share.passwordHash !== null && !isUnlocked(ctx, opened.share.id);

  return {
    create: async (ctx: RouterContext) => {
      const body = (ctx.request.body ?? {}) as Body;
      const fileId = ctx.params.id;
      try {
        await shares.create(ctx.state.user!, fileId, {
          expiresIn: body.expires_in,
          maxDownloads: body.max_downloads,
          password: body.password,
        });
        event(ctx, 'share.create', fileId);
        flash(ctx, 'success', messages.created);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        flash(ctx, 'error', messages.invalid(err.details ?? {}));
      }
      ctx.status = 303;
      ctx.redirect(`/files/${encodeURIComponent(fileId)}#shares`);
    },
    revoke: async (ctx: RouterContext) => {
      const share = await shares.revoke(ctx.params.token, ctx.state.user!);
      flash(ctx, 'success', messages.revoked);
      ctx.status = 303;
      ctx.redirect(`/files/${encodeURIComponent(share.fileId)}#shares`);
    },
    show: async (ctx: RouterContext) => {
      const opened = await openShare(ctx);
      if (opened.state === 'exhausted') shares.assertActive(opened.share);
      if (locked(ctx, opened))
        return ctx.render('pages/shares/password.njk', { token: ctx.params.token, error: null });
      ctx.render('pages/shares/show.njk', {
        token: ctx.params.token,
        file: opened.file,
        preview: inlineContentType(opened.file.type)?.split(/[/;]/)[0] ?? null,
        isPdf: opened.file.type === 'application/pdf',
      });
    },
    unlock: async (ctx: RouterContext) => {
      const opened = await openShare(ctx);
      const key = `${ctx.ip}|${opened.share.id}`;
      // Spend an attempt before checking, so parallel guesses cannot slip through (reset on success).
      const wait = await attemptOrWait(deps.limiter, key);
      if (wait !== null) {
        ctx.status = 429;
        ctx.set('Retry-After', String(wait));
        return ctx.render('pages/shares/password.njk', {
          token: ctx.params.token,
          error: messages.tooManyAttempts(wait),
        });
      }
      const password =
        typeof (ctx.request.body as Body | undefined)?.password === 'string'
          ? String((ctx.request.body as Body).password)
          : '';
      if (!(await shares.verifyPassword(opened.share, password))) {
        ctx.status = 401;
        return ctx.render('pages/shares/password.njk', {
          token: ctx.params.token,
          error: messages.wrongPassword,
        });
      }
      await deps.limiter.reset(key);
      rememberUnlock(ctx, opened.share.id);
      ctx.status = 303;
      ctx.redirect(`/s/${encodeURIComponent(ctx.params.token)}`);
    },
    download: async (ctx: RouterContext) => {
      const opened = await openShare(ctx, true);
      if (locked(ctx, opened)) return redirectToShare(ctx);
      const granted = holdsGrant(ctx, opened);
      // Only the client whose download was counted resumes for free (a range not starting at byte 0, with its
      // grant); any other response that sends bytes counts, so Range cannot read a limited link for nothing.
      const countUnlessResumed = async ({ fromByteZero }: BodyStartInfo) => {
        if (!fromByteZero && granted) return;
        await shares.countDownload(opened.share);
        giveGrant(ctx, opened);
        event(ctx, 'share.download', opened.file.id);
      };
      await sendFileDownload(ctx, deps, opened.file, countUnlessResumed, 'public');
    },
    view: async (ctx: RouterContext) => {
      const opened = await openShare(ctx);
      if (opened.state === 'exhausted') shares.assertActive(opened.share);
      if (locked(ctx, opened)) return redirectToShare(ctx);
      // Anyone with the link may have the file: other sites may embed it (images linked from chats).
      await sendFileView(ctx, deps, opened.file, 'public');
    },
  };
}

function redirectToShare(ctx: RouterContext): void {
  ctx.status = 303;
  ctx.redirect(`/s/${encodeURIComponent(ctx.params.token)}`);
}

/** POST /api/files/:id/shares. */
export function createApiSharesController(deps: {
  shares: ShareService;
  activity: ActivityRecorder;
}) {
  return {
    create: async (ctx: RouterContext) => {
      const body = ctx.request.body;
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
        throw new ValidationError({ body: 'Send a JSON object.' });
      const input = (body ?? {}) as Body;
      const unknown = Object.keys(input).filter(
        (key) => !['expires_in', 'max_downloads', 'password'].includes(key),
      );
      if (unknown.length)
        throw new ValidationError(
          Object.fromEntries(unknown.map((key) => [key, 'Unknown field.'])),
        );
      const share = await deps.shares.create(ctx.state.user!, ctx.params.id, {
        expiresIn: input.expires_in,
        maxDownloads: input.max_downloads,
        password: input.password,
      });
      deps.activity.record({
        type: 'share.create',
        userId: ctx.state.user!.id,
        fileId: share.fileId,
        ip: ctx.ip,
        userAgent: ctx.get('User-Agent'),
      });
      ctx.status = 201;
      ctx.body = deps.shares.toJson(share, ctx.state.siteOrigin);
    },
  };
}
