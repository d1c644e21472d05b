import { ErrorCodes } from '@xauth/contracts';

export interface AppErrorOptions {
  /** Stable code from `ErrorCodes`. */
  code: string;
  message: string;
  /** Whether trying again later can succeed. */
  retryable: boolean;
  /** Status the HTTP error handler answers with. @defaultValue 500 */
  httpStatus?: number;
  /** Safe, secret-free details for the client (e.g. validation issues). */
  details?: unknown;
  /** For transient errors: the earliest time a retry makes sense (e.g. a rate-limit reset). */
  retryAfterMs?: number;
  /**
   * For transient errors: the work was not tried at all (something it needs is held elsewhere, e.g. a
   * profile another job has open), so the retry spends no attempt (`x-attempt`), only a deferral
   * (`x-deferrals`, at most `MAX_DEFERRALS`). @defaultValue false
   */
  deferred?: boolean;
  /**
   * The handler has already told the work's owner that the work ended (the browser worker's final
   * `authorization.attempt.failed`): if this error dead-letters the message, the letter is a record
   * (`x-outcome-reported`) and the dead-letter office refuses to replay it. @defaultValue false
   */
  outcomeReported?: boolean;
  cause?: unknown;
}

/** The one error base: the consumer wrapper and the HTTP error handler decide from its fields. */
export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly details?: unknown;
  readonly retryAfterMs?: number;
  readonly deferred: boolean;
  readonly outcomeReported: boolean;

  constructor(opts: AppErrorOptions) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.retryable = opts.retryable;
    this.httpStatus = opts.httpStatus ?? 500;
    this.details = opts.details;
    this.retryAfterMs = opts.retryAfterMs;
    this.deferred = opts.deferred ?? false;
    this.outcomeReported = opts.outcomeReported ?? false;
  }
}

type SubOptions = Omit<AppErrorOptions, 'retryable'>;

/** Input that can never succeed as sent: dead-lettered at once, 4xx over HTTP. */
export class ValidationError extends AppError {
  constructor(opts: Partial<SubOptions> & { message: string }) {
    super({ code: ErrorCodes.VALIDATION_FAILED, httpStatus: 400, ...opts, retryable: false });
  }
}

/** A hiccup (timeout, 5xx, broker or database away): retried with backoff. */
export class TransientError extends AppError {
  constructor(opts: SubOptions) {
    super({ httpStatus: 503, ...opts, retryable: true });
  }
}

/** Something only a person can fix (captcha, locked account, wrong identity): no retry. */
export class NeedsOperatorError extends AppError {
  constructor(opts: SubOptions) {
    super({ httpStatus: 422, ...opts, retryable: false });
  }
}

export class NotFoundError extends AppError {
  constructor(opts: Partial<SubOptions> & { message: string }) {
    super({ code: ErrorCodes.NOT_FOUND, httpStatus: 404, ...opts, retryable: false });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Short, secret-free text of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
