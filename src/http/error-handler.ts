import { STATUS_CODES } from 'node:http';
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors';
import { classifyFailure, protocolFailure } from '../failures';
import { wantsJson } from './negotiate';

interface NormalizedError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, string>;
  headers?: Record<string, string>;
  /** Whether `message` is meant for users (a 503 or 507 names its cause; other 5xx stay generic on pages). */
  exposed: boolean;
}

const PAGE_WORDING: Record<number, string> = {
  400: 'The request could not be understood.',
  401: 'You need to sign in to see this.',
  403: 'You are not allowed to do that. If you were filling in a form, reload the page and try again.',
  404: 'There is nothing here. The link may be wrong, or the file was removed or is private.',
  405: 'That method is not allowed here.',
  410: 'This link has expired or was revoked.',
  413: 'That is too large.',
  415: 'That kind of content is not accepted here.',
  422: 'Some fields need attention.',
  429: 'Too many attempts. Wait a little and try again.',
  408: 'The request took too long to arrive.',
  500: 'Something went wrong on our side. It has been logged; try again in a moment.',
  503: 'Depot cannot reach a service it needs right now. Try again in a moment.',
  507: 'The server has no storage space left. Nothing was kept; try again later.',
};

/** Outermost middleware: turns every error into a 4xx/5xx page or RFC 9457 problem, logging 5xx once. */
export function errorHandler(options: { exposeInternals: boolean }): Middleware {
  return async function errorHandler(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null && ctx.respond !== false) {
        throw new AppError(404, 'NOT_FOUND', PAGE_WORDING[404]);
      }
    } catch (caught) {
      const malformed = protocolFailure(caught);
      if (malformed) {
        // The client's bytes, not a server fault: at info, and only the parser's code (no raw packet).
        ctx.state.log?.info({ code: (caught as { code: string }).code }, 'malformed request');
        respond(ctx, normalize(malformed, options.exposeInternals));
        return;
      }
      // A known condition of the environment (full disk, dependency down) answers as itself, logged as a warning;
      // so does a 503 or 507 a service found itself (the upload space check, a tus store failure).
      const known =
        caught instanceof AppError
          ? [503, 507].includes(caught.status)
            ? caught
            : null
          : classifyFailure(caught);
      const err = known ?? caught;
      const error = normalize(err, options.exposeInternals);
      if (known) ctx.state.log?.warn({ err: caught, status: known.status }, known.message);
      else if (error.status >= 500) ctx.app.emit('error', err, ctx);
      respond(ctx, error);
    }
  };
}

function normalize(err: unknown, exposeInternals: boolean): NormalizedError {
  if (err instanceof AppError) {
    const message = err.expose || exposeInternals ? err.message : PAGE_WORDING[500];
    return {
      status: err.status,
      code: err.code,
      message,
      details: err.details,
      headers: err.headers,
      exposed: err.expose,
    };
  }
  const candidate = err as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
    headers?: unknown;
  };
  const rawStatus = Number(candidate?.status ?? candidate?.statusCode);
  const status = rawStatus >= 400 && rawStatus < 600 ? rawStatus : 500;
  const exposed = status < 500 && candidate?.expose !== false;
  const text = typeof candidate?.message === 'string' ? candidate.message : '';
  const message =
    exposed || exposeInternals ? text || PAGE_WORDING[status] || '' : PAGE_WORDING[500];
  const code = (STATUS_CODES[status] ?? 'Error').toUpperCase().replace(/[^A-Z]+/g, '_');
  return {
    status,
    code,
    message,
    headers: status < 500 ? (candidate?.headers as Record<string, string>) : undefined,
    exposed,
  };
}

const STALE_ON_ERROR = [
  'content-disposition',
  'content-range',
  'content-encoding',
  'etag',
  'last-modified',
  'accept-ranges',
  'cache-control',
];

function respond(ctx: Context, error: NormalizedError): void {
  // Headers that described the response that never happens must not describe the error instead.
  for (const name of STALE_ON_ERROR) ctx.remove(name);
  if (ctx.headerSent || !ctx.writable) return;
  for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
  ctx.status = error.status;
  const title = STATUS_CODES[error.status] ?? 'Error';
  if (wantsJson(ctx)) {
    ctx.type = 'application/problem+json';
    ctx.body = {
      type: 'about:blank',
      title,
      status: error.status,
      detail: error.message,
      code: error.code,
      request_id: ctx.state.requestId,
      ...(error.details ? { errors: error.details } : {}),
    };
    return;
  }
  ctx.type = 'html';
  try {
    ctx.render('errors/error.njk', {
      status: error.status,
      title,
      message:
        error.status >= 500 && !error.exposed
          ? PAGE_WORDING[500]
          : error.message || PAGE_WORDING[error.status],
      details: error.details,
    });
  } catch (renderError) {
    ctx.app.emit('error', renderError, ctx);
    ctx.body = `<!doctype html><title>${error.status} ${title}</title><h1>${error.status} ${title}</h1><p>Request id: ${ctx.state.requestId}</p>`;
  }
}
