import type { Context } from 'koa';
import type { ActivityRecord } from './repository';
import type { ActivityService } from './service';
import { pageCount, readPositiveInt } from '../../lib/paging';

const PER_PAGE = 20;

/** User-visible words of the activity log: what each kind of event says. */
export const activityMessages: Record<ActivityRecord['type'], string> = {
  upload: 'uploaded',
  download: 'downloaded',
  'share.create': 'created a share link for',
  'share.download': 'downloaded through a share link',
  comment: 'commented on',
  signin: 'signed in',
};

/** GET /activity: the user's own events and events on their files, newest first. */
export function createActivityController(deps: { activity: ActivityService }) {
  return {
    index: async (ctx: Context) => {
      const user = ctx.state.user!;
      const page = readPositiveInt(ctx.query.page, 1, 1_000_000) ?? 1;
      const list = await deps.activity.listForUser(user, page, PER_PAGE);
      ctx.render('pages/activity/index.njk', {
        events: list.items,
        total: list.total,
        page,
        pages: pageCount(list.total, PER_PAGE),
        activityVerbs: activityMessages,
      });
    },
  };
}
