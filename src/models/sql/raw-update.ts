import { QueryTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';

/*
 * Constant UPDATE statements for the hottest write (every tus PATCH records its upload's offset): no query
 * building, which cost more than the statement itself (figures: bench/README.md, "Why the SQL fast paths").
 *
 * Sequelize internal relied on: QueryGenerator#escape(value, attribute), reached through
 * `getQueryInterface().queryGenerator` (typed `unknown` by Sequelize), which formats a value as the column's
 * own data type writes it. A Date given as a replacement goes through Sequelize's sql-string instead, which
 * drops the milliseconds on MySQL/MariaDB: a DATE(3) column written by a raw statement would then differ from
 * one the model writes. Pinned by test/unit/models/raw-update.test.ts on SQLite and MariaDB.
 */

interface QueryGenerator {
  escape(value: unknown, attribute?: unknown): string;
}

/** A function rendering a value as the SQL literal `model` stores in `attribute`'s column (Dates keep ms). */
export function columnLiteral<M extends Model>(
  model: ModelStatic<M>,
  attribute: string,
): (value: unknown) => string {
  const generator = model.sequelize!.getQueryInterface().queryGenerator as QueryGenerator;
  const definition = model.getAttributes()[attribute as keyof M['_attributes']];
  if (!definition) throw new Error(`${model.name} has no attribute ${attribute}`);
  return (value) => generator.escape(value, definition);
}

/** Runs one constant UPDATE with positional `replacements` (on SQLite it takes its turn in the write queue). */
export async function runUpdate(
  sequelize: Sequelize,
  sql: string,
  replacements: unknown[],
): Promise<void> {
  await sequelize.query(sql, { replacements, type: QueryTypes.UPDATE });
}
