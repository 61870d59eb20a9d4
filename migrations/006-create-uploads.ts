import { DataTypes } from 'sequelize';
import { TABLE_OPTIONS, type Migration } from './types';

export const createUploads: Migration = {
  name: '006-create-uploads',
  async up(queryInterface) {
    await queryInterface.createTable(
      'uploads',
      {
        id: { type: DataTypes.STRING(22), primaryKey: true },
        owner_id: {
          type: DataTypes.STRING(22),
          allowNull: false,
          references: { model: 'users', key: 'id' },
          onDelete: 'CASCADE',
        },
        size: { type: DataTypes.BIGINT, allowNull: false },
        upload_offset: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
        metadata: { type: DataTypes.TEXT, allowNull: false },
        // receiving -> completing -> done; a crash leaves `completing` for the start-up pass to finish.
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'receiving' },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
        updated_at: { type: DataTypes.DATE(3), allowNull: false },
      },
      TABLE_OPTIONS,
    );
    // The expiry sweep scans by last activity; quota checks sum one owner's pending uploads.
    await queryInterface.addIndex('uploads', ['updated_at']);
    await queryInterface.addIndex('uploads', ['owner_id', 'status']);
  },
  async down(queryInterface) {
    await queryInterface.dropTable('uploads');
  },
};
