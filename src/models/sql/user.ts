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

/** A Depot account row. Usernames are stored lower-case, so uniqueness is case-insensitive. */
export interface UserRow extends Model<InferAttributes<UserRow>, InferCreationAttributes<UserRow>> {
  id: string;
  username: string;
  passwordHash: string | null;
  wechatOpenid: string | null;
  role: 'user' | 'admin';
  tokenVersion: CreationOptional<number>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export type UserModel = ModelStatic<UserRow>;

// A fresh object per call: Sequelize normalizes attribute definitions in place, per instance.
const userAttributes = () =>
  ({
    id: { type: DataTypes.STRING(22), primaryKey: true },
    username: { type: DataTypes.STRING(32), allowNull: false, unique: true },
    passwordHash: { type: DataTypes.STRING(255), allowNull: true },
    wechatOpenid: { type: DataTypes.STRING(128), allowNull: true, unique: true },
    role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'user' },
    tokenVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    createdAt: DataTypes.DATE,
    updatedAt: DataTypes.DATE,
  }) satisfies ModelAttributes<UserRow>;

/** The users table: each attribute's column, for hand-written SQL (src/models/sql/columns.ts). */
export const USER_TABLE = sqlTable('users', userAttributes());

/** Defines the model on one Sequelize instance (define, not a shared class, so apps never share state). */
export function defineUserModel(sequelize: Sequelize): UserModel {
  return sequelize.define<UserRow>('User', userAttributes(), {
    tableName: USER_TABLE.name,
    underscored: true,
  });
}
