import { ErrorCodes } from '@xauth/contracts';

/** Whether an account may have logins and refreshes: a paused or offboarded account has neither. */
export interface AccountStanding {
  paused: boolean;
  offboarded: boolean;
}

export type AccountEventKind =
  'refreshed' | 'token_dead' | 'reauthorization_required' | 'paused' | 'resumed' | 'profile_gone' | 'profile_back' | 'offboarded' | 'authenticated';

/** Why a login for the account is refused, if it is (offboarded first: resuming is what brings it back). */
export function loginRefusal(standing: AccountStanding | undefined, accountId: string): { code: string; message: string } | undefined {
  if (standing?.offboarded) return { code: ErrorCodes.ACCOUNT_OFFBOARDED, message: `@${accountId} was offboarded; resume it to log it in again` };
  if (standing?.paused) return { code: ErrorCodes.ACCOUNT_PAUSED, message: `@${accountId} is paused; resume it to log it in` };
  return undefined;
}
