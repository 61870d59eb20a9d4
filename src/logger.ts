import pino, { type DestinationStream, type Logger } from 'pino';

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

/** Builds the one JSON-lines logger of a process (or of a test, with its own destination). */
export function createLogger(options: { level: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
