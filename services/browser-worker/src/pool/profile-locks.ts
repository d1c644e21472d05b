import pg from 'pg';
import { ErrorCodes } from '@xauth/contracts';
import { TransientError, errorMessage, type Logger } from '@xauth/shared';
import { profileLockKey } from './profile-lock-key.js';

/** A held profile lock; `release` never throws (a connection that broke has dropped the lock already). */
export interface ProfileLock {
  release(): Promise<void>;
}

/**
 * At most one holder per profile across every worker replica: a session-level
 * `pg_try_advisory_lock` held on a connection of its own for as long as the job runs. A worker
 * that dies drops its connections and so its locks: no profile stays marked busy after a SIGKILL.
 */
export class ProfileLocks {
  constructor(
    private readonly pool: pg.Pool,
    private readonly namespace: string,
    private readonly logger: Logger,
  ) {}

  /** The lock, or undefined when someone else holds it. */
  async tryLock(profileId: string): Promise<ProfileLock | undefined> {
    const key = profileLockKey(this.namespace, profileId);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: `PostgreSQL unreachable for the profile lock: ${errorMessage(err)}` });
    }
    const onError = (err: Error): void => void this.logger.warn('profile lock connection broke; the lock is gone with it', { profileId, error: err.message });
    client.on('error', onError);
    let held: boolean;
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      held = rows[0]?.ok === true;
    } catch (err) {
      client.off('error', onError);
      client.release(err as Error);
      throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: `could not take the profile lock: ${errorMessage(err)}` });
    }
    if (!held) {
      client.off('error', onError);
      client.release();
      return undefined;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
          client.off('error', onError);
          client.release();
        } catch (err) {
          // Destroying the connection ends the session, and the lock with it.
          client.off('error', onError);
          client.release(err as Error);
        }
      },
    };
  }
}
