import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import mongoose from 'mongoose';
import { MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import {
  ConnectionAcquireTimeoutError,
  ConnectionError,
  ConnectionRefusedError,
  DatabaseError,
  TimeoutError,
  UniqueConstraintError,
  ValidationError,
} from 'sequelize';
import { ServiceUnavailable } from '../../../src/errors';
import { dependencyFailure, dependencyMessages } from '../../../src/failures/dependencies';
import { classifyFailure } from '../../../src/failures';
import { QueryDeadlineExceeded } from '../../../src/models/sql/query-deadline';
import { WriteQueueTimeout } from '../../../src/models/sql/write-queue';

/** A mysql2-like driver error, as Sequelize keeps it in `parent`. */
function driverError(code: string, message = code) {
  return Object.assign(new Error(message), { code, sql: 'SELECT 1' });
}

describe('dependencyFailure', () => {
  describe.each([
    [
      'database',
      'a pooled connection not had in time',
      new ConnectionAcquireTimeoutError(new Error('acquire')),
    ],
    ['database', 'a refused connection', new ConnectionRefusedError(driverError('ECONNREFUSED'))],
    ['database', 'a handshake that timed out', new ConnectionError(driverError('ETIMEDOUT'))],
    ['database', 'a lock or busy timeout', new TimeoutError(driverError('SQLITE_BUSY'))],
    ['database', 'a query past its deadline', new QueryDeadlineExceeded(5000)],
    [
      'database',
      'a subclass named its own way (SQLite write queue)',
      new WriteQueueTimeout(10_000),
    ],
    [
      'database',
      'a lost connection under a query',
      new DatabaseError(driverError('PROTOCOL_CONNECTION_LOST')),
    ],
    [
      'database',
      'a query on a closed connection',
      new DatabaseError(
        driverError('', "Can't add new command when connection is in closed state"),
      ),
    ],
    ['redis', 'a command past commandTimeout', new Error('Command timed out')],
    ['redis', 'a closed connection', new Error('Connection is closed.')],
    ['redis', 'no reconnection in time', new MaxRetriesPerRequestError(1)],
    ['mongodb', 'no server selected', new mongoose.Error.MongooseServerSelectionError('no server')],
    [
      'mongodb',
      'a driver selection error',
      new MongoServerSelectionError('no server', {} as never),
    ],
    ['mongodb', 'a network error', new MongoNetworkError('socket closed')],
    [
      'mongodb',
      'a buffered operation that timed out',
      new mongoose.Error('Operation `comments.find()` buffering timed out after 10000ms'),
    ],
  ] as const)('%s: %s', (dependency, _what, err) => {
    it('is a 503 naming it, with Retry-After and the original error as cause', () => {
      const failure = dependencyFailure(err);
      expect(failure).toBeInstanceOf(ServiceUnavailable);
      expect(failure).toMatchObject({
        status: 503,
        expose: true,
        message: dependencyMessages[dependency],
        headers: { 'Retry-After': '5' },
      });
      expect(failure?.cause).toBe(err);
    });
  });

  it('looks through the cause chain (a service wrapping a driver error)', () => {
    const wrapped = new Error('could not save the session', {
      cause: new Error('store failed', { cause: new MaxRetriesPerRequestError(1) }),
    });
    expect(dependencyFailure(wrapped)?.message).toBe(dependencyMessages.redis);
    expect(classifyFailure(wrapped)?.status).toBe(503);
  });

  it.each([
    ['a unique constraint', new UniqueConstraintError({})],
    ['a validation error', new ValidationError('bad', [])],
    ['a SQL syntax error', new DatabaseError(driverError('ER_PARSE_ERROR', 'You have an error'))],
    ['a reset client socket (not a database)', driverError('ECONNRESET')],
    ['a plain bug', new TypeError('undefined is not a function')],
    ['not an error at all', 'oops'],
    ['nothing', null],
  ])('leaves %s alone (null: a 500 or its own status)', (_what, err) => {
    expect(dependencyFailure(err)).toBeNull();
  });
});
