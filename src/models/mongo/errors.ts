import { Error as MongooseError } from 'mongoose';
import { ValidationError } from '../../errors';

/** Turns a Mongoose validation failure into our 422 ValidationError naming each field; rethrows anything else. */
export function rethrowValidation(err: unknown): never {
  if (err instanceof MongooseError.ValidationError) {
    const details = Object.fromEntries(
      Object.entries(err.errors).map(([field, problem]) => [field, problem.message]),
    );
    throw new ValidationError(details);
  }
  throw err;
}
