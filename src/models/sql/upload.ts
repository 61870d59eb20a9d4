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

/** Where a resumable upload is: receiving bytes, being turned into a file, or finished. */
export type UploadStatus = 'receiving' | 'completing' | 'done';

/** The shared state of one tus upload (every app instance reads it from here). */
export interface UploadRow extends Model<
  InferAttributes<UploadRow>,
  InferCreationAttributes<UploadRow>
> {
  id: string;
  ownerId: string;
  size: number;
  uploadOffset: CreationOptional<number>;
  metadata: string;
  status: CreationOptional<UploadStatus>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type UploadModel = ModelStatic<UploadRow>;

// A fresh object per call: Sequelize normalizes attribute definitions in place, per instance.
const uploadAttributes = () =>
  ({
    id: { type: DataTypes.STRING(22), primaryKey: true },
    ownerId: { type: DataTypes.STRING(22), allowNull: false },
    size: { type: DataTypes.BIGINT, allowNull: false },
    uploadOffset: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
    metadata: { type: DataTypes.TEXT, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'receiving' },
    createdAt: DataTypes.DATE(3),
    updatedAt: DataTypes.DATE(3),
  }) satisfies ModelAttributes<UploadRow>;

/** The uploads table: each attribute's column, for hand-written SQL (src/models/sql/columns.ts). */
export const UPLOAD_TABLE = sqlTable('uploads', uploadAttributes());

/** Defines the model on one Sequelize instance. */
export function defineUploadModel(sequelize: Sequelize): UploadModel {
  return sequelize.define<UploadRow>('Upload', uploadAttributes(), {
    tableName: UPLOAD_TABLE.name,
    underscored: true,
  });
}
