/**
 * The one place a table's column names are spelled out for hand-written SQL. Each model file builds its table
 * from the attributes it defines, so the model, the raw statements and the rows they return (keyed by attribute,
 * as model instances are) cannot drift apart; test/unit/models/columns.test.ts checks every table against the
 * migrated schema and against Sequelize's own `underscored` naming. Backticks quote on SQLite and MySQL alike.
 */

/** A table's name and each attribute's snake_case column, bare and quoted for SQL text. */
export interface SqlTable<A extends string> {
  readonly name: string;
  readonly quotedName: string;
  readonly columns: Readonly<Record<A, string>>;
  readonly quoted: Readonly<Record<A, string>>;
}

const quote = (name: string) => `\`${name}\``;

/** Sequelize's `underscored: true` naming: `ownerId` -> `owner_id`, `sha256` stays. */
function snakeCase(attribute: string): string {
  return attribute.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The table `name` whose columns are the keys of `attributes` (a model's attribute definitions). */
export function sqlTable<A extends string>(
  name: string,
  attributes: Readonly<Record<A, unknown>>,
): SqlTable<A> {
  const keys = Object.keys(attributes) as A[];
  const byKey = (value: (key: A) => string) =>
    Object.fromEntries(keys.map((key) => [key, value(key)])) as Record<A, string>;
  const columns = byKey(snakeCase);
  const quoted = byKey((key) => quote(columns[key]));
  return { name, quotedName: quote(name), columns, quoted };
}

/** The column of `attribute` qualified by the table's `alias` in a statement (`File`.`owner_id`). */
export function qualified<A extends string>(
  table: SqlTable<A>,
  attribute: A,
  alias: string,
): string {
  return `${quote(alias)}.${table.quoted[attribute]}`;
}

/** A raw SELECT's column list, each snake_case column named by its attribute: rows keyed like model instances. */
export function selectList<A extends string>(table: SqlTable<A>, attributes: readonly A[]): string {
  return attributes
    .map((attribute) => {
      const name = table.columns[attribute];
      return name === attribute ? quote(name) : `${quote(name)} AS ${quote(attribute)}`;
    })
    .join(', ');
}

/** Every attribute of `table`, in definition order. */
export function allColumns<A extends string>(table: SqlTable<A>): A[] {
  return Object.keys(table.columns) as A[];
}
