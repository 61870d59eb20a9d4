import { DataTypes } from 'sequelize';
import { TABLE_OPTIONS, type Migration } from './types';

export const createUsers: Migration = {
  name: '001-create-users',
  async up(queryInterface) {
    await queryInterface.createTable(
      'users',
      {
        id: { type: DataTypes.STRING(22), primaryKey: true },
        username: { type: DataTypes.STRING(32), allowNull: false, unique: true },
        password_hash: { type: DataTypes.STRING(255), allowNull: true },
        wechat_openid: { type: DataTypes.STRING(128), allowNull: true, unique: true },
        role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'user' },
        token_version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        created_at: { type: DataTypes.DATE, allowNull: false },
        updated_at: { type: DataTypes.DATE, allowNull: false },
      },
      TABLE_OPTIONS,
    );
  },
  async down(queryInterface) {
    await queryInterface.dropTable('users');
  },
};
