import { DataTypes } from 'sequelize';
import { TABLE_OPTIONS, type Migration } from './types';

export const createSessions: Migration = {
  name: '002-create-sessions',
  async up(queryInterface) {
    await queryInterface.createTable(
      'sessions',
      {
        sid: { type: DataTypes.STRING(128), primaryKey: true },
        data: { type: DataTypes.TEXT, allowNull: false },
        expires_at: { type: DataTypes.DATE, allowNull: false },
      },
      TABLE_OPTIONS,
    );
    await queryInterface.addIndex('sessions', ['expires_at']);
  },
  async down(queryInterface) {
    await queryInterface.dropTable('sessions');
  },
};
