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

/** One stored file: its display name and metadata; the bytes live in storage under `storageKey`. */
export interface FileRow extends Model<InferAttributes<FileRow>, InferCreationAttributes<FileRow>> {
  id: string;
  ownerId: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
  storageKey: string;
  visibility: CreationOptional<'private' | 'public'>;
  downloadCount: CreationOptional<number>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type FileModel = ModelStatic<FileRow>;

// A fresh object per call: Sequelize normalizes attribute definitions in place, per instance.
const fileAttributes = () =>
  ({
    id: { type: DataTypes.STRING(22), primaryKey: true },
    ownerId: { type: DataTypes.STRING(22), allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: false },
    size: { type: DataTypes.BIGINT, allowNull: false },
    type: { type: DataTypes.STRING(255), allowNull: false },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    storageKey: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    visibility: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'private' },
    downloadCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    createdAt: DataTypes.DATE(3),
    updatedAt: DataTypes.DATE(3),
  }) satisfies ModelAttributes<FileRow>;

/** The files table: each attribute's column, for hand-written SQL (src/models/sql/columns.ts). */
export const FILE_TABLE = sqlTable('files', fileAttributes());

/** Defines the model on one Sequelize instance. */
export function defineFileModel(sequelize: Sequelize): FileModel {
  return sequelize.define<FileRow>('File', fileAttributes(), {
    tableName: FILE_TABLE.name,
    underscored: true,
  });
}
