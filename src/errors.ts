/** The few errors the app throws on purpose; anything else is an unexpected 500. */
import { tryAgainIn } from './lib/retry-wording';

export interface AppErrorOptions {
  expose?: boolean;
  details?: Record<string, string>;
  cause?: unknown;
  headers?: Record<string, string>;
}

/** An error that carries its HTTP status, an UPPER_SNAKE code and whether its message is for users. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  readonly details?: Record<string, string>;
  readonly headers?: Record<string, string>;

  constructor(status: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? status < 500;
    this.details = options.details;
    this.headers = options.headers;
  }
}

export class BadRequest extends AppError {
  constructor(message = 'The request could not be understood.', options?: AppErrorOptions) {
    super(400, 'BAD_REQUEST', message, options);
  }
}

/** A bad field: `details` maps each field name to what is wrong with it. */
export class ValidationError extends AppError {
  constructor(details: Record<string, string>, message = 'Some fields need attention.') {
    super(422, 'VALIDATION_FAILED', message, { details });
  }
}

export class Unauthorized extends AppError {
  constructor(message = 'You need to sign in.', options?: AppErrorOptions) {
    super(401, 'UNAUTHORIZED', message, options);
  }
}

export class Forbidden extends AppError {
  constructor(message = 'You are not allowed to do that.', options?: AppErrorOptions) {
    super(403, 'FORBIDDEN', message, options);
  }
}

export class NotFound extends AppError {
  constructor(message = 'There is nothing here.', options?: AppErrorOptions) {
    super(404, 'NOT_FOUND', message, options);
  }
}

export class Gone extends AppError {
  constructor(message = 'This is no longer available.', options?: AppErrorOptions) {
    super(410, 'GONE', message, options);
  }
}

export class PayloadTooLarge extends AppError {
  constructor(message = 'That is too large.', options?: AppErrorOptions) {
    super(413, 'PAYLOAD_TOO_LARGE', message, options);
  }
}

export class TooManyRequests extends AppError {
  constructor(
    retryAfterSeconds: number,
    message = `Too many attempts. ${tryAgainIn(retryAfterSeconds)}`,
  ) {
    super(429, 'TOO_MANY_REQUESTS', message, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class BadGateway extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(502, 'BAD_GATEWAY', message, { expose: true, ...options });
  }
}

export class GatewayTimeout extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(504, 'GATEWAY_TIMEOUT', message, { expose: true, ...options });
  }
}

/** The client sent its body too slowly (no byte within the idle timeout, or past the total body time). */
export class RequestTimeout extends AppError {
  constructor(message = 'The request body arrived too slowly.', options?: AppErrorOptions) {
    super(408, 'REQUEST_TIMEOUT', message, { expose: true, ...options });
  }
}

/** A dependency (database, Redis, MongoDB) is down or frozen: the client may retry after `retryAfterSeconds`. */
export class ServiceUnavailable extends AppError {
  constructor(message: string, retryAfterSeconds = 5, options?: AppErrorOptions) {
    super(503, 'SERVICE_UNAVAILABLE', message, {
      expose: true,
      ...options,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

/** The upload directory has no room left (ENOSPC/EDQUOT): nothing of the request was kept. */
export class InsufficientStorage extends AppError {
  constructor(
    message = 'The server has no storage space left for this upload. Nothing was kept; try again later.',
    options?: AppErrorOptions,
  ) {
    super(507, 'INSUFFICIENT_STORAGE', message, { expose: true, ...options });
  }
}
