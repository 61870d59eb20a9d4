import { DataTypes } from 'sequelize';
import { TABLE_OPTIONS, type Migration } from './types';

export const createShares: Migration = {
  name: '004-create-shares',
  async up(queryInterface) {
    await queryInterface.createTable(
      'shares',
      {
        id: { type: DataTypes.STRING(22), primaryKey: true },
        token: { type: DataTypes.STRING(64), allowNull: false, unique: true },
        file_id: {
          type: DataTypes.STRING(22),
          allowNull: false,
          references: { model: 'files', key: 'id' },
          onDelete: 'CASCADE',
        },
        expires_at: { type: DataTypes.DATE(3), allowNull: true },
        max_downloads: { type: DataTypes.INTEGER, allowNull: true },
        download_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        password_hash: { type: DataTypes.STRING(255), allowNull: true },
        revoked_at: { type: DataTypes.DATE(3), allowNull: true },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
        updated_at: { type: DataTypes.DATE(3), allowNull: false },
      },
      TABLE_OPTIONS,
    );
    // The file page lists a file's shares, newest first.
    await queryInterface.addIndex('shares', ['file_id', 'created_at']);
  },
  async down(queryInterface) {
    await queryInterface.dropTable('shares');
  },
};
