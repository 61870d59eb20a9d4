import { DatabaseError } from 'sequelize';
import { InsufficientStorage } from '../../../src/errors';
import { diskFailure } from '../../../src/failures/disk';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('diskFailure', () => {
  it('answers 507 for ENOSPC and EDQUOT, also wrapped as a cause', () => {
    expect(diskFailure(withCode('ENOSPC'))).toBeInstanceOf(InsufficientStorage);
    expect(diskFailure(withCode('EDQUOT'))?.status).toBe(507);
    const wrapped = new Error('write failed', { cause: withCode('ENOSPC') });
    expect(diskFailure(new Error('outer', { cause: wrapped }))?.status).toBe(507);
  });

  it("answers 507 for a database's full disk behind Sequelize's DatabaseError", () => {
    const sqlite = new DatabaseError(withCode('SQLITE_FULL') as never);
    const mysql = new DatabaseError(withCode('ER_RECORD_FILE_FULL') as never);
    expect(diskFailure(sqlite)?.status).toBe(507);
    expect(diskFailure(mysql)?.status).toBe(507);
  });

  it('leaves every other error alone, and stops at a cycle', () => {
    expect(diskFailure(withCode('EACCES'))).toBeNull();
    expect(diskFailure(new DatabaseError(withCode('SQLITE_CONSTRAINT') as never))).toBeNull();
    expect(diskFailure(null)).toBeNull();
    expect(diskFailure('ENOSPC')).toBeNull();
    const loop: { code: string; cause?: unknown } = { code: 'EIO' };
    loop.cause = loop;
    expect(diskFailure(loop)).toBeNull();
  });
});
