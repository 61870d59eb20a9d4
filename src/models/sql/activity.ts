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
import { ACTIVITY_TYPES, type ActivityType } from '../../features/activity/events';

/** An activity event row (the SQL stand-in for the MongoDB `activities` collection). */
export interface ActivityRow extends Model<
  InferAttributes<ActivityRow>,
  InferCreationAttributes<ActivityRow>
> {
  id: string;
  type: ActivityType;
  userId: string | null;
  userName: string | null;
  fileId: string | null;
  fileOwnerId: string | null;
  fileName: string | null;
  ip: string;
  userAgent: string;
  at: Date;
}

export type ActivityModel = ModelStatic<ActivityRow>;

// A fresh object per call: Sequelize normalizes attribute definitions in place, per instance.
const activityAttributes = () =>
  ({
    id: { type: DataTypes.STRING(22), primaryKey: true },
    type: {
      type: DataTypes.STRING(32),
      allowNull: false,
      validate: { isIn: [[...ACTIVITY_TYPES]] },
    },
    userId: { type: DataTypes.STRING(22), allowNull: true },
    userName: { type: DataTypes.STRING(64), allowNull: true },
    fileId: { type: DataTypes.STRING(22), allowNull: true },
    fileOwnerId: { type: DataTypes.STRING(22), allowNull: true },
    fileName: { type: DataTypes.STRING(255), allowNull: true },
    ip: { type: DataTypes.STRING(64), allowNull: false },
    userAgent: { type: DataTypes.STRING(512), allowNull: false },
    at: { type: DataTypes.DATE(3), allowNull: false },
  }) satisfies ModelAttributes<ActivityRow>;

/** The activities table: each attribute's column, for hand-written SQL (src/models/sql/columns.ts). */
export const ACTIVITY_TABLE = sqlTable('activities', activityAttributes());

/** Defines the model on one Sequelize instance. */
export function defineActivityModel(sequelize: Sequelize): ActivityModel {
  return sequelize.define<ActivityRow>('Activity', activityAttributes(), {
    tableName: ACTIVITY_TABLE.name,
    underscored: true,
    timestamps: false,
  });
}
