import 'koa';
import type { Logger } from '../logger';
import type { User } from '../features/accounts/users-repository';
import type { SessionObject } from '../http/session';

declare module 'koa' {
  /** Everything middleware puts on ctx.state, in one place. */
  interface DefaultState {
    requestId: string;
    log: Logger;
    /** The signed-in user (session or bearer token), or null for guests. */
    user: User | null;
    /** How the user was authenticated on this request. */
    authMethod?: 'session' | 'bearer';
    /** Where absolute URLs point: PUBLIC_URL, or the request's own origin ('' when its Host is odd). */
    siteOrigin: string;
  }

  interface ExtendableContext {
    /** Renders a Nunjucks view with ctx.state merged in, as the HTML body. */
    render(view: string, locals?: Record<string, unknown>): void;
    /** koa-session's session: absent where the sessions middleware does not run (the API), null when off. */
    session?: SessionObject | null;
  }
}
