import {
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';

/** A server-side cookie session kept in SQL when Redis is not configured. */
interface SessionRow extends Model<
  InferAttributes<SessionRow>,
  InferCreationAttributes<SessionRow>
> {
  sid: string;
  data: string;
  expiresAt: Date;
}

export type SessionModel = ModelStatic<SessionRow>;

/** Defines the model on one Sequelize instance. */
export function defineSessionModel(sequelize: Sequelize): SessionModel {
  return sequelize.define<SessionRow>(
    'Session',
    {
      sid: { type: DataTypes.STRING(128), primaryKey: true },
      data: { type: DataTypes.TEXT, allowNull: false },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'sessions', underscored: true, timestamps: false },
  );
}
