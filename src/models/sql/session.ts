import {
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  type ModelAttributes,
  type Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';
import { sqlTable } from './columns';

/** A server-side cookie session kept in SQL when Redis is not configured. */
interface SessionRow extends Model<
  InferAttributes<SessionRow>,
  InferCreationAttributes<SessionRow>
> {
  sid: string;
  data: string;
  expiresAt: Date;
}

export type SessionModel = ModelStatic<SessionRow>;

// A fresh object per call: Sequelize normalizes attribute definitions in place, per instance.
const sessionAttributes = () =>
  ({
    sid: { type: DataTypes.STRING(128), primaryKey: true },
    data: { type: DataTypes.TEXT, allowNull: false },
    expiresAt: { type: DataTypes.DATE, allowNull: false },
  }) satisfies ModelAttributes<SessionRow>;

/** The sessions table: each attribute's column, for hand-written SQL (src/models/sql/columns.ts). */
export const SESSION_TABLE = sqlTable('sessions', sessionAttributes());

/** Defines the model on one Sequelize instance. */
export function defineSessionModel(sequelize: Sequelize): SessionModel {
  return sequelize.define<SessionRow>('Session', sessionAttributes(), {
    tableName: SESSION_TABLE.name,
    underscored: true,
    timestamps: false,
  });
}
