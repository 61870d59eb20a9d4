import { DataTypes } from 'sequelize';
import { TABLE_OPTIONS, type Migration } from './types';

export const createFiles: Migration = {
  name: '003-create-files',
  async up(queryInterface) {
    await queryInterface.createTable(
      'files',
      {
        id: { type: DataTypes.STRING(22), primaryKey: true },
        owner_id: {
          type: DataTypes.STRING(22),
          allowNull: false,
          references: { model: 'users', key: 'id' },
          onDelete: 'CASCADE',
        },
        name: { type: DataTypes.STRING(255), allowNull: false },
        size: { type: DataTypes.BIGINT, allowNull: false },
        type: { type: DataTypes.STRING(255), allowNull: false },
        sha256: { type: DataTypes.STRING(64), allowNull: false },
        storage_key: { type: DataTypes.STRING(64), allowNull: false, unique: true },
        visibility: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'private' },
        download_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
        updated_at: { type: DataTypes.DATE(3), allowNull: false },
      },
      TABLE_OPTIONS,
    );
    // The listing pages sort one owner's files by date, name or size (id breaks ties, so it is in the index and a
    // page is read straight off it: no sort of all 10,000 rows); the home page lists recent public files.
    await queryInterface.addIndex('files', ['owner_id', 'created_at', 'id']);
    await queryInterface.addIndex('files', ['owner_id', 'name', 'id']);
    await queryInterface.addIndex('files', ['owner_id', 'size', 'id']);
    await queryInterface.addIndex('files', ['visibility', 'created_at', 'id']);
  },
  async down(queryInterface) {
    await queryInterface.dropTable('files');
  },
};
