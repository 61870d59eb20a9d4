import type { RouterContext } from '@koa/router';
import { BadRequest, ValidationError } from '../../errors';
import type { FileService } from './service';
import { parseFileQuery } from './query';
import type { UploadHandler } from '../uploads/form-uploads';

const PER_PAGE = 20;
const MAX_PER_PAGE = 100;
const PATCH_FIELDS = new Set(['name', 'visibility']);

function patchBody(ctx: RouterContext): Record<string, unknown> {
  const body = ctx.request.body;
  if (!ctx.is('application/json') || !body || typeof body !== 'object' || Array.isArray(body))
    throw new BadRequest(
      'Send a JSON object such as {"name": "report.pdf", "visibility": "public"}.',
    );
  const unknown = Object.keys(body).filter((key) => !PATCH_FIELDS.has(key));
  if (unknown.length)
    throw new ValidationError(Object.fromEntries(unknown.map((key) => [key, 'Unknown field.'])));
  return body as Record<string, unknown>;
}

/** /api/files: list, upload, read, change and delete files as JSON. */
export function createApiFilesController(deps: {
  files: FileService;
  storeUploads: UploadHandler;
}) {
  const { files } = deps;
  return {
    list: async (ctx: RouterContext) => {
      const { query, invalid } = parseFileQuery(ctx.query, {
        perPage: PER_PAGE,
        maxPerPage: MAX_PER_PAGE,
      });
      if (Object.keys(invalid).length) throw new ValidationError(invalid);
      const list = await files.list(ctx.state.user!, query);
      ctx.body = {
        items: list.items.map((file) => files.toJson(file)),
        page: query.page,
        per_page: query.perPage,
        total: list.total,
      };
    },
    create: async (ctx: RouterContext) => {
      const stored = await deps.storeUploads(ctx, 'file');
      ctx.status = 201;
      ctx.body = { items: stored.map((file) => files.toJson(file)) };
    },
    show: async (ctx: RouterContext) => {
      ctx.body = files.toJson(await files.findVisible(ctx.params.id, ctx.state.user));
    },
    update: async (ctx: RouterContext) => {
      const body = patchBody(ctx);
      const file = await files.update(ctx.params.id, ctx.state.user!, body);
      ctx.body = files.toJson(file);
    },
    remove: async (ctx: RouterContext) => {
      await files.remove(ctx.params.id, ctx.state.user!);
      ctx.status = 204;
    },
  };
}
