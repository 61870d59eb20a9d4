import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type ModelAttributes,
  type Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';
import { sqlTable } from './columns';

/** One share link of a file: a secret token plus optional expiry, download limit and password. */
export interface ShareRow extends Model<
  InferAttributes<ShareRow>,
  InferCreationAttributes<ShareRow>
> {
  id: string;
  token: string;
  fileId: string;
  expiresAt: Date | null;
  maxDownloads: number | null;
  downloadCount: CreationOptional<number>;
  passwordHash: string | null;
  revokedAt: CreationOptional<Date | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type ShareModel = ModelStatic<ShareRow>;

// A fresh object per call: Sequelize normalizes attribute definitions in place, per instance.
const shareAttributes = () =>
  ({
    id: { type: DataTypes.STRING(22), primaryKey: true },
    token: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    fileId: { type: DataTypes.STRING(22), allowNull: false },
    expiresAt: { type: DataTypes.DATE(3), allowNull: true },
    maxDownloads: { type: DataTypes.INTEGER, allowNull: true },
    downloadCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    passwordHash: { type: DataTypes.STRING(255), allowNull: true },
    revokedAt: { type: DataTypes.DATE(3), allowNull: true },
    createdAt: DataTypes.DATE(3),
    updatedAt: DataTypes.DATE(3),
  }) satisfies ModelAttributes<ShareRow>;

/** The shares table: each attribute's column, for hand-written SQL (src/models/sql/columns.ts). */
export const SHARE_TABLE = sqlTable('shares', shareAttributes());

/** Defines the model on one Sequelize instance. */
export function defineShareModel(sequelize: Sequelize): ShareModel {
  return sequelize.define<ShareRow>('Share', shareAttributes(), {
    tableName: SHARE_TABLE.name,
    underscored: true,
  });
}
