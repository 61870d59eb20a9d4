import { Op } from 'sequelize';
import { createMonotonicClock } from '../../lib/clock';
import { newId } from '../../lib/ids';
import type { ActivityModel, ActivityRow } from '../../models/sql/activity';
import { rethrowSqlValidation } from '../../models/sql/errors';
import { USER_AGENT_MAX, type ActivityRecord, type ActivityRepository } from './repository';

function toRecord(row: ActivityRow): ActivityRecord {
  return {
    id: row.id,
    type: row.type,
    userId: row.userId,
    userName: row.userName,
    fileId: row.fileId,
    fileOwnerId: row.fileOwnerId,
    fileName: row.fileName,
    ip: row.ip,
    userAgent: row.userAgent,
    at: new Date(row.at),
  };
}

const NEWEST_FIRST: [string, string][] = [
  ['at', 'DESC'],
  ['id', 'DESC'],
];

/** Activity events in the SQL database (used when MONGODB_URI is not set); old events are pruned by age. */
export function createSqlActivityRepository(Activity: ActivityModel): ActivityRepository {
  const clock = createMonotonicClock();
  return {
    async record(event) {
      const row = await Activity.create({
        ...event,
        userAgent: event.userAgent.slice(0, USER_AGENT_MAX),
        id: newId(),
        at: clock(),
      }).catch((err: unknown) => rethrowSqlValidation(err));
      return toRecord(row);
    },
    async listForUser(userId, page, perPage) {
      const { rows, count } = await Activity.findAndCountAll({
        where: { [Op.or]: [{ userId }, { fileOwnerId: userId }] },
        order: NEWEST_FIRST,
        limit: perPage,
        offset: (page - 1) * perPage,
      });
      return { items: rows.map(toRecord), total: count };
    },
    async listForFile(fileId, limit) {
      const rows = await Activity.findAll({ where: { fileId }, order: NEWEST_FIRST, limit });
      return rows.map(toRecord);
    },
    prune: (before) => Activity.destroy({ where: { at: { [Op.lt]: before } } }),
  };
}
