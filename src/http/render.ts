import type Koa from 'koa';
import type nunjucks from 'nunjucks';
import { csrfToken } from './csrf';
import { takeFlash } from './flash';

/** Installs ctx.render(view, locals) on the app: ctx.state and locals, rendered as an HTML body. */
export function installRenderer(
  app: Koa,
  env: nunjucks.Environment,
  globals: Record<string, unknown>,
): void {
  app.context.render = function render(
    this: Koa.Context,
    view: string,
    locals: Record<string, unknown> = {},
  ) {
    // A function, so only pages that show a form create a session for the token.
    const token = () => csrfToken(this);
    this.type = 'html';
    this.body = env.render(view, {
      ...globals,
      ...this.state,
      currentPath: this.path,
      flash: takeFlash(this),
      csrfToken: token,
      ...locals,
    });
  };
}
