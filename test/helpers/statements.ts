import type { Sequelize } from 'sequelize';

/** Records the SQL text of every statement the real database runs while `during` is called. */
export function statementRecorder(sequelize: Sequelize) {
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
