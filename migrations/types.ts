import type { QueryInterface } from 'sequelize';

/** One schema change; `down` undoes `up`. */
export interface Migration {
  name: string;
  up(queryInterface: QueryInterface): Promise<void>;
  down(queryInterface: QueryInterface): Promise<void>;
}

/** MySQL table options: full Unicode, and binary collation so random ids and tokens compare case-sensitively. */
export const TABLE_OPTIONS = { charset: 'utf8mb4', collate: 'utf8mb4_bin' } as const;
