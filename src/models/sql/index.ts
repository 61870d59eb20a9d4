import { Sequelize } from 'sequelize';
import type { Logger } from '../../logger';
import { defineActivityModel, type ActivityModel } from './activity';
import { defineCommentModel, type CommentModel } from './comment';
import { defineFileModel, type FileModel } from './file';
import { defineSessionModel, type SessionModel } from './session';
import { createSqliteSequelize } from './sqlite';
import { defineShareModel, type ShareModel } from './share';
import { defineUploadModel, type UploadModel } from './upload';
import { defineUserModel, type UserModel } from './user';
import { createMysqlSequelize } from './mysql';

/** Every Sequelize model of one database connection. */
export interface SqlModels {
  User: UserModel;
  Session: SessionModel;
  File: FileModel;
  Upload: UploadModel;
  Comment: CommentModel;
  Activity: ActivityModel;
  Share: ShareModel;
}

/** Opens (lazily) DATABASE_URL: `sqlite:<file>`, or `mysql://...` with each wait bounded by `timeoutMs`. */
export function createSequelize(
  databaseUrl: string,
  logger: Logger,
  timeoutMs?: number,
): Sequelize {
  const logging = (sql: string) => logger.trace({ sql }, 'sql');
  if (databaseUrl.startsWith('sqlite:')) {
    const storage = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:';
    return createSqliteSequelize(storage, logging);
  }
  return createMysqlSequelize(databaseUrl, logging, timeoutMs);
}

/** Defines every model on the connection. */
export function defineModels(sequelize: Sequelize): SqlModels {
  return {
    User: defineUserModel(sequelize),
    Session: defineSessionModel(sequelize),
    File: defineFileModel(sequelize),
    Comment: defineCommentModel(sequelize),
    Activity: defineActivityModel(sequelize),
    Upload: defineUploadModel(sequelize),
    Share: defineShareModel(sequelize),
  };
}
