import { ErrorCodes } from '@xauth/contracts';
import { AppError, NeedsOperatorError, TransientError } from '@xauth/shared';

/** What X (or its CDN) can show instead of the consent page, as the error and outcome DESIGN.md assigns. */
export const pageFailures = {
  captcha: () => new NeedsOperatorError({ code: ErrorCodes.CAPTCHA_REQUIRED, message: 'a captcha challenge did not clear by itself' }),
  blocked: () => new TransientError({ code: ErrorCodes.BLOCKED, message: 'the CDN blocked the request ("Access denied")' }),
  loginWall: () => new NeedsOperatorError({ code: ErrorCodes.LOGIN_REQUIRED, message: 'the profile is signed out of X (login form shown)' }),
  locked: () => new NeedsOperatorError({ code: ErrorCodes.ACCOUNT_LOCKED, message: 'X shows the account as locked or suspended' }),
  appConfig: () =>
    new NeedsOperatorError({ code: ErrorCodes.APP_CONFIG_INVALID, message: 'X refused the authorize request ("You weren\'t able to give access to the App")' }),
  denied: () => new NeedsOperatorError({ code: ErrorCodes.ACCESS_DENIED, message: 'consent was denied (redirect carried error=access_denied)' }),
  unrecognized: (title: string) =>
    new NeedsOperatorError({ code: ErrorCodes.UNRECOGNIZED_PAGE, message: `the page did not show anything known (title "${title.slice(0, 80)}")` }),
  timeout: (step: string) => new TransientError({ code: ErrorCodes.TIMEOUT, message: `timed out ${step}` }),
  crashed: (detail: string) => new TransientError({ code: ErrorCodes.BROWSER_CRASHED, message: `the browser went away: ${detail}` }),
};

/** Reads the redirect X sent the browser to: a code, or an OAuth error. */
export function readRedirect(url: string): { code: string; state: string } {
  const u = new URL(url);
  const error = u.searchParams.get('error');
  if (error === 'access_denied') throw pageFailures.denied();
  if (error) throw new AppError({ code: ErrorCodes.APP_CONFIG_INVALID, message: `X redirected with error=${error}`, retryable: false });
  const code = u.searchParams.get('code');
  const state = u.searchParams.get('state');
  if (!code || !state) throw new AppError({ code: ErrorCodes.UNRECOGNIZED_PAGE, message: 'redirect carried neither a code nor an error', retryable: false });
  return { code, state };
}
