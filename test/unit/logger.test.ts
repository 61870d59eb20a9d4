import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import pino from 'pino';
import { cachedIsoTime, createLogger } from '../../src/logger';

/**
 * The process logger writes stdout through a buffer (src/logger.ts). These run it in a child process,
 * as bin/www.ts does, and read what really reached the child's stdout.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const PRELUDE = `const { createLogger } = require('./src/logger'); const log = createLogger({ level: 'info' });`;

function nodeArgs(code: string): string[] {
  return ['--import', 'tsx', '-e', `${PRELUDE}\n${code}`];
}

/** Runs `code` after the prelude to its end; resolves with its stdout lines and exit code. */
function runToEnd(code: string): Promise<{ lines: string[]; status: number | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, nodeArgs(code), { cwd: ROOT }, (error, stdout) => {
      const status = error ? ((error as { code?: number }).code ?? null) : 0;
      resolve({ lines: stdout.split('\n').filter(Boolean), status });
    });
  });
}

describe('process logger (buffered stdout)', () => {
  it('writes every line logged before process.exit', async () => {
    const { lines, status } = await runToEnd(
      `for (let i = 0; i < 500; i++) log.info({ i }, 'line'); process.exit(3);`,
    );
    expect(status).toBe(3);
    expect(lines).toHaveLength(500);
    expect(lines.map((line) => JSON.parse(line).i)).toEqual([...Array(500).keys()]);
  });

  it('writes the lines of a process that dies of an uncaught exception', async () => {
    const { lines, status } = await runToEnd(
      `log.info({ step: 'before' }, 'line'); setImmediate(() => { throw new Error('boom'); });`,
    );
    expect(status).toBe(1);
    expect(lines.map((line) => JSON.parse(line).step)).toEqual(['before']);
  });

  it('writes a quiet process line within about a second, while it keeps running', async () => {
    const child = spawn(
      process.execPath,
      nodeArgs(`log.info({ token: 'secret-value' }, 'quiet line'); setTimeout(() => {}, 30000);`),
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const lines = readline.createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no line within 10 s')), 10_000);
        lines.once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
      });
      expect(child.exitCode).toBeNull(); // it came from the periodic flush, not from an exit
      expect(JSON.parse(first)).toMatchObject({ msg: 'quiet line', token: '[redacted]' });
    } finally {
      child.kill();
    }
  });
});

describe('log timestamps', () => {
  it("formats the clock in pino's time field, anew when the millisecond moves", () => {
    let clock = Date.UTC(2026, 11, 2, 6, 30, 15, 123);
    const time = cachedIsoTime(() => clock);
    expect(time()).toBe(',"time":"2026-12-02T06:30:15.123Z"');
    const first = time();
    expect(time()).toBe(first);
    clock += 1;
    expect(time()).toBe(',"time":"2026-12-02T06:30:15.124Z"');
  });

  it("gives exactly what pino's own isoTime gives at the same instant", () => {
    jest.useFakeTimers({ now: Date.UTC(2027, 0, 31, 23, 59, 59, 999) });
    try {
      expect(cachedIsoTime()()).toBe(pino.stdTimeFunctions.isoTime());
    } finally {
      jest.useRealTimers();
    }
  });

  it('stamps each line with the current time', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const before = Date.now();
    log.info('one');
    const after = Date.now();
    const stamped = Date.parse(JSON.parse(lines[0]).time);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
  });
});
