/**
 * The fields of an error a log line may carry. An allow-list, not a deny-list: errors from Node's HTTP parser
 * carry `rawPacket` (the request's raw bytes, with its Authorization header and cookies), HTTP clients carry
 * `config`, `request`, `response` and `headers`, database errors carry `sql` and bound `parameters`: none of
 * those, nor any field a library adds tomorrow, reaches the log.
 */
const SCALAR_FIELDS = ['code', 'errno', 'syscall', 'status', 'statusCode', 'status_code'] as const;

/** How many errors deep a cause chain is followed (a cycle or a long chain stops there). */
const MAX_DEPTH = 5;

/** An error as a log line shows it. */
interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  code?: string | number;
  errno?: string | number;
  syscall?: string | number;
  status?: string | number;
  statusCode?: string | number;
  status_code?: string | number;
  cause?: LoggedError;
  errors?: LoggedError[];
}

type ErrorLike = Record<string, unknown>;

/** Serializes `value` (an Error, or an `{ message }` object a caller built) down to the allowed fields. */
export function serializeLoggedError(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  const err = value as ErrorLike;
  const out: LoggedError = { type: errorType(err), message: text(err.message) ?? '' };
  if (typeof err.stack === 'string') out.stack = err.stack;
  for (const field of SCALAR_FIELDS) {
    const scalar = err[field];
    if (typeof scalar === 'string' || typeof scalar === 'number') out[field] = scalar;
  }
  if (depth < MAX_DEPTH) {
    // Sequelize keeps the driver's error in `parent` (and `original`): it is the cause that explains.
    const cause = err.cause ?? err.parent;
    if (cause != null && typeof cause === 'object')
      out.cause = serializeLoggedError(cause, depth + 1) as LoggedError;
    if (Array.isArray(err.errors))
      out.errors = err.errors
        .slice(0, 10)
        .map((inner) => serializeLoggedError(inner, depth + 1) as LoggedError);
  }
  return out;
}

function errorType(err: ErrorLike): string {
  if (typeof err.name === 'string' && err.name) return err.name;
  const proto = Object.getPrototypeOf(err) as { constructor?: { name?: unknown } } | null;
  const ctor = proto?.constructor;
  return typeof ctor?.name === 'string' ? ctor.name : 'Error';
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
