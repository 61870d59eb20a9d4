import type { Sequelize } from 'sequelize';
import { buildTestApp, type TestApp } from './app';
import type { DatabaseKind } from './databases';

/** Records the SQL text of every statement the real database runs while `during` is called. */
function statementRecorder(sequelize: Sequelize) {
  let statements: string[] | null = null;
  // Each dialect's Query keeps its SQL text; the hook sees every statement, raw or model-built.
  sequelize.addHook('afterQuery', (_options, query) => {
    const sql: unknown = Reflect.get(query, 'sql');
    if (statements && typeof sql === 'string') statements.push(sql);
  });
  return {
    /** Runs `work` and returns what it answered and the statements run meanwhile. */
    async during<T>(work: () => Promise<T>): Promise<{ result: T; ran: string[] }> {
      const ran: string[] = [];
      statements = ran;
      try {
        return { result: await work(), ran };
      } finally {
        statements = null;
      }
    },
  };
}

/** A statement recorder as `statementRecorder` returns it. */
export type StatementRecorder = ReturnType<typeof statementRecorder>;

/**
 * A test app on `db` for the enclosing describe (built before its tests, closed after them) with a recorder of
 * its database's statements; read `t` and `recorder` inside the tests.
 */
export function recordedTestApp(db: DatabaseKind): { t: TestApp; recorder: StatementRecorder } {
  const built = {} as { t: TestApp; recorder: StatementRecorder };
  beforeAll(async () => {
    built.t = await buildTestApp({ db });
    built.recorder = statementRecorder(built.t.deps.sequelize);
  });
  afterAll(() => built.t.close());
  return built;
}
