import { DataTypes } from 'sequelize';
import { TABLE_OPTIONS, type Migration } from './types';

/** No foreign key to files: the files service's delete hook removes comments, as it must for MongoDB. */
export const createCommentsAndActivity: Migration = {
  name: '005-create-comments-and-activity',
  async up(queryInterface) {
    await queryInterface.createTable(
      'comments',
      {
        id: { type: DataTypes.STRING(22), primaryKey: true },
        file_id: { type: DataTypes.STRING(22), allowNull: false },
        author_id: { type: DataTypes.STRING(22), allowNull: false },
        author_name: { type: DataTypes.STRING(64), allowNull: false },
        body: { type: DataTypes.TEXT, allowNull: false },
        created_at: { type: DataTypes.DATE(3), allowNull: false },
        edited_at: { type: DataTypes.DATE(3), allowNull: true },
      },
      TABLE_OPTIONS,
    );
    // The file page: newest comments of one file, paginated (id breaks ties deterministically).
    await queryInterface.addIndex('comments', ['file_id', 'created_at', 'id'], {
      name: 'comments_file_created',
    });
    await queryInterface.createTable(
      'activities',
      {
        id: { type: DataTypes.STRING(22), primaryKey: true },
        type: { type: DataTypes.STRING(32), allowNull: false },
        user_id: { type: DataTypes.STRING(22), allowNull: true },
        user_name: { type: DataTypes.STRING(64), allowNull: true },
        file_id: { type: DataTypes.STRING(22), allowNull: true },
        file_owner_id: { type: DataTypes.STRING(22), allowNull: true },
        file_name: { type: DataTypes.STRING(255), allowNull: true },
        ip: { type: DataTypes.STRING(64), allowNull: false },
        user_agent: { type: DataTypes.STRING(512), allowNull: false },
        at: { type: DataTypes.DATE(3), allowNull: false },
      },
      TABLE_OPTIONS,
    );
    // /activity reads "mine OR on my files": one index per branch; the file page reads by file; pruning by age.
    await queryInterface.addIndex('activities', ['user_id', 'at'], { name: 'activities_user_at' });
    await queryInterface.addIndex('activities', ['file_owner_id', 'at'], {
      name: 'activities_owner_at',
    });
    await queryInterface.addIndex('activities', ['file_id', 'at'], { name: 'activities_file_at' });
    await queryInterface.addIndex('activities', ['at'], { name: 'activities_at' });
  },
  async down(queryInterface) {
    await queryInterface.dropTable('activities');
    await queryInterface.dropTable('comments');
  },
};
