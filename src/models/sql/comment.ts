import {
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  type ModelAttributes,
  type Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';
import { sqlTable } from './columns';
import { COMMENT_BODY_MAX } from '../../features/comments/repository';

/** A comment row (the SQL stand-in for the MongoDB `comments` collection). */
export interface CommentRow extends Model<
  InferAttributes<CommentRow>,
  InferCreationAttributes<CommentRow>
> {
  id: string;
  fileId: string;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
}

export type CommentModel = ModelStatic<CommentRow>;

// A fresh object per call: Sequelize normalizes attribute definitions in place, per instance.
const commentAttributes = () =>
  ({
    id: { type: DataTypes.STRING(22), primaryKey: true },
    fileId: { type: DataTypes.STRING(22), allowNull: false },
    authorId: { type: DataTypes.STRING(22), allowNull: false },
    authorName: { type: DataTypes.STRING(64), allowNull: false },
    body: {
      type: DataTypes.TEXT,
      allowNull: false,
      validate: { len: [1, COMMENT_BODY_MAX] },
    },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    editedAt: { type: DataTypes.DATE(3), allowNull: true },
  }) satisfies ModelAttributes<CommentRow>;

/** The comments table: each attribute's column, for hand-written SQL (src/models/sql/columns.ts). */
export const COMMENT_TABLE = sqlTable('comments', commentAttributes());

/** Defines the model on one Sequelize instance; the body rule matches the Mongoose schema. */
export function defineCommentModel(sequelize: Sequelize): CommentModel {
  return sequelize.define<CommentRow>('Comment', commentAttributes(), {
    tableName: COMMENT_TABLE.name,
    underscored: true,
    timestamps: false,
    indexes: [
      {
        name: 'comments_file_created',
        fields: [COMMENT_TABLE.columns.fileId, COMMENT_TABLE.columns.createdAt, 'id'],
      },
    ],
  });
}
