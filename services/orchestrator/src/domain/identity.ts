import { ErrorCodes } from '@xauth/contracts';
import { NeedsOperatorError } from '@xauth/shared';

export interface XIdentity {
  id: string;
  username: string;
  name?: string;
}

/**
 * A profile signed in to the wrong account must never yield a token for the account we were
 * asked about. X usernames are case-insensitive.
 */
export function assertIdentity(accountId: string, me: XIdentity): void {
  if (me.username.toLowerCase() !== accountId.toLowerCase()) {
    throw new NeedsOperatorError({
      code: ErrorCodes.IDENTITY_MISMATCH,
      message: `profile is signed in to @${me.username}, not @${accountId}`,
    });
  }
}
