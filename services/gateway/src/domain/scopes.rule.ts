import { ErrorCodes, SERVICE_SCOPES, type ServiceScope } from '@xauth/contracts';
import { AppError } from '@xauth/shared';

/** OAuth's `invalid_scope`: only the token route answers it. */
export const INVALID_SCOPE = ErrorCodes.INVALID_SCOPE;

export function isServiceScope(value: string): value is ServiceScope {
  return (SERVICE_SCOPES as readonly string[]).includes(value);
}

/**
 * The scopes a token gets: all of the client's when `requested` is empty, else the requested
 * subset. Asking for a scope the client does not hold is refused, not silently dropped.
 */
export function grantScopes(clientScopes: readonly string[], requested: string | undefined): string[] {
  const wanted = (requested ?? '').split(' ').filter(Boolean);
  if (wanted.length === 0) return [...clientScopes];
  const missing = wanted.filter((s) => !clientScopes.includes(s));
  if (missing.length) {
    throw new AppError({ code: INVALID_SCOPE, httpStatus: 400, retryable: false, message: `scope not granted to this client: ${missing.join(' ')}` });
  }
  return [...new Set(wanted)];
}

export function hasScope(granted: readonly string[], required: ServiceScope): boolean {
  return granted.includes(required);
}
