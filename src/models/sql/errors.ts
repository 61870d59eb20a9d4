import { ValidationError as SequelizeValidationError } from 'sequelize';
import { ValidationError } from '../../errors';

/** Turns a Sequelize validation failure into our 422 ValidationError naming each field; rethrows anything else. */
export function rethrowSqlValidation(err: unknown, messages: Record<string, string> = {}): never {
  if (err instanceof SequelizeValidationError) {
    const details = Object.fromEntries(
      err.errors.map((item) => {
        const field = item.path ?? 'value';
        return [field, messages[field] ?? item.message];
      }),
    );
    throw new ValidationError(details);
  }
  throw err;
}
