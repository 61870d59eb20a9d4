import type { Context } from 'koa';

/** A public file as the home page lists it. */
export interface PublicFileSummary {
  id: string;
  name: string;
  size: number;
  type: string;
  createdAt: Date;
  owner: string;
}

/** The home page: what Depot is and recent public files for guests; signed-in users go to their files. */
export function createHomeController(deps: {
  recentPublicFiles: (limit: number) => Promise<PublicFileSummary[]>;
}) {
  return {
    home: async (ctx: Context) => {
      if (ctx.state.user) {
        ctx.status = 303;
        ctx.redirect('/files');
        return;
      }
      ctx.render('pages/home.njk', { recent: await deps.recentPublicFiles(20) });
    },
  };
}
