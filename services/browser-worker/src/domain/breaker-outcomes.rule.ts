import { ErrorCodes } from '@xauth/contracts';
import { AppError } from '@xauth/shared';

/** X's pages did not answer (5xx, 429, the connection failed): counted against the `x-web` breaker. */
const X_WEB_DOWN: ReadonlySet<string> = new Set([ErrorCodes.X_UNAVAILABLE, ErrorCodes.X_RATE_LIMITED]);
/** X answered with a page about this account or app: X's pages work, whatever the account's trouble. */
const X_WEB_ANSWERED: ReadonlySet<string> = new Set([
  ErrorCodes.CAPTCHA_REQUIRED,
  ErrorCodes.LOGIN_REQUIRED,
  ErrorCodes.ACCOUNT_LOCKED,
  ErrorCodes.ACCESS_DENIED,
  ErrorCodes.APP_CONFIG_INVALID,
]);

/**
 * What a job's outcome says about X's pages: a captured consent or a per-account page is a success,
 * X unavailable or rate limiting is a failure, anything else (GoLogin, the browser, our timeouts,
 * a profile held elsewhere) says nothing about X.
 */
export function xWebOutcome(err: unknown): 'success' | 'failure' | 'none' {
  if (err === undefined) return 'success';
  if (!(err instanceof AppError)) return 'none';
  if (X_WEB_DOWN.has(err.code)) return 'failure';
  return X_WEB_ANSWERED.has(err.code) ? 'success' : 'none';
}

/** A GoLogin API call that failed in a way that counts against GoLogin (5xx, 429, network, timeout: GOLOGIN_UNAVAILABLE from the HTTP kit). */
export function isGoLoginOutage(err: unknown): boolean {
  return err instanceof AppError && err.code === ErrorCodes.GOLOGIN_UNAVAILABLE;
}
