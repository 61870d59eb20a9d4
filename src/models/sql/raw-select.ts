import { QueryTypes, type Sequelize } from 'sequelize';

/*
 * Plain-row SELECTs for the hot lookups by id (every request's user, every download's file, every tus
 * request's upload): one constant statement, no query building and no model instances, which cost Sequelize
 * more than the database spends on the query (figures: bench/README.md, "Why the SQL fast paths").
 *
 * Sequelize internal relied on: the `tableNames` query option, read only by the SQLite dialect's Query#run
 * (sequelize/lib/dialects/sqlite/query.js). Without it, that dialect runs `PRAGMA table_info` on the first
 * quoted table after FROM before every SELECT, to parse model columns that plain rows do not have: a second
 * round trip per lookup. An empty list skips it; MySQL ignores the option. Pinned by
 * test/unit/models/raw-select.test.ts, which traces what the SQLite driver really executes.
 */

/** Runs one constant SELECT with positional `replacements` and returns its rows as plain objects. */
export async function selectRows<Row extends object>(
  sequelize: Sequelize,
  sql: string,
  replacements: unknown[],
): Promise<Row[]> {
  const options = { replacements, type: QueryTypes.SELECT as const, tableNames: [] as string[] };
  return sequelize.query<Row>(sql, options);
}
