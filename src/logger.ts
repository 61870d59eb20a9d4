import fs from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import { serializeLoggedError } from './lib/log-error';

export type { Logger };

/**
 * Paths whose values never reach a log line. Explicit paths only: pino's wildcard redaction costs about
 * as much as the rest of a log line, on every line (the access log writes one per request).
 */
const REDACT = [
  'password',
  'secret',
  'token',
  'access_token',
  'session_key',
  'body.password',
  'body.secret',
  'body.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * Where a process's lines go: stdout (or `dest`, a file), buffered. Lines gather until 4 KiB and then leave in one write(2),
 * so under load one system call carries dozens of access lines instead of one each (a write per line
 * had cost about a third of an asset response); a quiet process still writes within a second. Lines
 * buffered at exit are flushed (pino does it on 'exit'); a SIGKILL loses at most the last few KiB. If
 * stdout cannot keep up, lines past 16 MiB are dropped rather than holding the server's memory.
 */
export function bufferedDestination(dest: number | string = 1): DestinationStream {
  return pino.destination({
    // A file is opened here, synchronously: the destination must be ready for the exit flush at once.
    dest: typeof dest === 'string' ? fs.openSync(dest, 'a') : dest,
    sync: false,
    minLength: 4096,
    maxLength: 16 * 1024 * 1024,
    periodicFlush: 1000,
  });
}

/**
 * pino's isoTime (`,"time":"<ISO 8601>"`), formatted once per millisecond: under load dozens of lines share
 * one, and toISOString was about a third of the JavaScript an access-log line costs.
 */
export function cachedIsoTime(now: () => number = Date.now): () => string {
  let formattedAt = Number.NaN;
  let formatted = '';
  return () => {
    const ms = now();
    if (ms !== formattedAt) {
      formattedAt = ms;
      formatted = `,"time":"${new Date(ms).toISOString()}"`;
    }
    return formatted;
  };
}

/** Builds the one JSON-lines logger of a process (or of a test, with its own destination). */
export function createLogger(
  options: { level: string },
  destination: DestinationStream = bufferedDestination(),
): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
      // Errors keep only allowed fields: never a raw packet, headers, a request or a body (see log-error.ts).
      serializers: { err: serializeLoggedError, error: serializeLoggedError },
      timestamp: cachedIsoTime(),
    },
    destination,
  );
}
