import { profileLockKey } from '@xauth/browser-worker';
import type { Stack } from '../../src/index.js';

/** Whether no worker holds the profile's advisory lock: taken and given back on the stack's own session. */
export async function lockIsFree(stack: Stack, profileId: string): Promise<boolean> {
  const key = profileLockKey(stack.namespace, profileId);
  const { rows } = await stack.db.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
  if (rows[0]?.ok) await stack.db.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
  return rows[0]?.ok === true;
}
