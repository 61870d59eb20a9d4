import { Op, QueryTypes } from 'sequelize';
import { ValidationError } from '../../errors';
import { createMonotonicClock } from '../../lib/clock';
import { newId } from '../../lib/ids';
import { ACTIVITY_TABLE, type ActivityModel, type ActivityRow } from '../../models/sql/activity';
import { allColumns } from '../../models/sql/columns';
import { columnLiteral } from '../../models/sql/raw-update';
import { ACTIVITY_TYPES } from './events';
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

// Every event is one constant INSERT (no model instance); `at` is spliced in as its DATE(3) column writes it.
const INSERTED = allColumns(ACTIVITY_TABLE).filter((attribute) => attribute !== 'at');
const INSERT_ACTIVITY = (at: string) =>
  `INSERT INTO ${ACTIVITY_TABLE.quotedName}` +
  ` (${[...INSERTED, 'at' as const].map((attribute) => ACTIVITY_TABLE.quoted[attribute]).join(', ')})` +
  ` VALUES (${INSERTED.map(() => '?').join(', ')}, ${at})`;

/** The model's own check of `type`, with Sequelize's words for it (the raw INSERT skips model validation). */
function assertType(type: string): void {
  if (!(ACTIVITY_TYPES as readonly string[]).includes(type))
    throw new ValidationError({ type: 'Validation isIn on type failed' });
}

const NEWEST_FIRST: [string, string][] = [
  ['at', 'DESC'],
  ['id', 'DESC'],
];

/** Activity events in the SQL database (used when MONGODB_URI is not set); old events are pruned by age. */
export function createSqlActivityRepository(Activity: ActivityModel): ActivityRepository {
  const clock = createMonotonicClock();
  const at = columnLiteral(Activity, 'at');
  return {
    async record(event) {
      assertType(event.type);
      const record = {
        ...event,
        userAgent: event.userAgent.slice(0, USER_AGENT_MAX),
        id: newId(),
        at: clock(),
      };
      await Activity.sequelize!.query(INSERT_ACTIVITY(at(record.at)), {
        replacements: INSERTED.map((attribute) => record[attribute]),
        type: QueryTypes.INSERT,
      });
      return record;
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
