import type { EntityManager } from 'typeorm';
import { accountKey, type StoredToken } from '../domain/model.js';
import type { AccountEventKind, AccountStanding } from '../domain/accounts.rule.js';
import type { AccountsTx } from '../domain/ports.js';
import { TokenRow } from './entities/index.js';
import { toToken } from './row-mappers.js';

/** Who pauses an account whose GoLogin profile disappeared (the profile-gone rule). */
export const PROFILE_GONE_ACTOR = 'system:profile-gone';

/** Pause state, profile-gone clock, offboarding and history of accounts, inside one transaction. */
export class AccountRecords implements AccountsTx {
  constructor(private readonly m: EntityManager) {}

  /** Paused or offboarded; undefined when the account has no row (neither). */
  async standing(accountId: string): Promise<AccountStanding | undefined> {
    const rows: Array<{ paused: boolean; offboarded: boolean }> = await this.m.query(
      'SELECT paused_at IS NOT NULL AS paused, offboarded_at IS NOT NULL AS offboarded FROM accounts WHERE account_key = $1',
      [accountKey(accountId)],
    );
    return rows[0];
  }

  /** Whether xauth knows the account (a profile, a token or a row) and it is not offboarded. */
  async known(accountId: string): Promise<boolean> {
    const rows: Array<{ known: boolean }> = await this.m.query(
      `SELECT NOT EXISTS (SELECT 1 FROM accounts WHERE account_key = $1 AND offboarded_at IS NOT NULL)
         AND (EXISTS (SELECT 1 FROM profiles WHERE account_key = $1) OR EXISTS (SELECT 1 FROM tokens WHERE account_key = $1)
           OR EXISTS (SELECT 1 FROM accounts WHERE account_key = $1)) AS known`,
      [accountKey(accountId)],
    );
    return rows[0]!.known;
  }

  /** Pauses the account (a row is made if needed); false when it already was paused. */
  async pause(accountId: string, by: string, reason: string): Promise<boolean> {
    const rows = await this.m.query<unknown[]>(
      `INSERT INTO accounts (account_key, account_id, paused_at, paused_by, pause_reason) VALUES ($1, $2, now(), $3, $4)
       ON CONFLICT (account_key) DO UPDATE SET paused_at = now(), paused_by = $3, pause_reason = $4, updated_at = now()
       WHERE accounts.paused_at IS NULL RETURNING 1`,
      [accountKey(accountId), accountId, by, reason],
    );
    return rows.length > 0;
  }

  /** Clears pause and offboarding; false when the account was neither. */
  async resume(accountId: string): Promise<boolean> {
    // UPDATE answers [rows, count] through TypeORM.
    const [rows]: [unknown[], number] = await this.m.query(
      `UPDATE accounts SET paused_at = NULL, paused_by = NULL, pause_reason = NULL, offboarded_at = NULL, profile_gone_at = NULL, updated_at = now()
       WHERE account_key = $1 AND (paused_at IS NOT NULL OR offboarded_at IS NOT NULL) RETURNING 1`,
      [accountKey(accountId)],
    );
    return rows.length > 0;
  }

  async markOffboarded(accountId: string): Promise<void> {
    await this.m.query('UPDATE accounts SET offboarded_at = now(), profile_gone_at = NULL, updated_at = now() WHERE account_key = $1', [accountKey(accountId)]);
  }

  async record(accountId: string, e: { kind: AccountEventKind; app?: string | null; errorCode?: string | null; detail?: string | null }): Promise<void> {
    await this.m.query('INSERT INTO account_events (account_key, app, kind, error_code, detail) VALUES ($1, $2, $3, $4, $5)', [
      accountKey(accountId),
      e.app ?? null,
      e.kind,
      e.errorCode ?? null,
      e.detail?.slice(0, 500) ?? null,
    ]);
  }

  /** Every token of the account, row-locked (a refresh claiming one waits, or is waited for). */
  async lockTokens(accountId: string): Promise<StoredToken[]> {
    const rows = await this.m
      .getRepository(TokenRow)
      .createQueryBuilder('t')
      .where('t.account_key = :key', { key: accountKey(accountId) })
      .setLock('pessimistic_write')
      .getMany();
    return rows.map(toToken);
  }

  async deleteTokens(accountId: string): Promise<void> {
    await this.m.query('DELETE FROM tokens WHERE account_key = $1', [accountKey(accountId)]);
  }

  /**
   * The profile-gone rule, after a complete sync at `at`: accounts that lost their last profile are
   * paused (unless already) and their clock starts; accounts whose profile came back have the clock
   * cleared and, if the rule paused them, are resumed. Returns the account ids gone and back.
   */
  async applyProfileChanges(goneKeys: string[], at: Date): Promise<{ gone: string[]; back: string[] }> {
    const gone: Array<{ account_id: string }> = goneKeys.length
      ? await this.m.query(
          `INSERT INTO accounts (account_key, account_id, paused_at, paused_by, pause_reason, profile_gone_at)
         SELECT DISTINCT ON (g.key) g.key, COALESCE(t.account_id, g.key), $2::timestamptz, $3, 'its GoLogin profile disappeared', $2::timestamptz
         FROM unnest($1::text[]) AS g(key) LEFT JOIN tokens t ON t.account_key = g.key
         WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.account_key = g.key)
       ON CONFLICT (account_key) DO UPDATE SET
         profile_gone_at = COALESCE(accounts.profile_gone_at, EXCLUDED.profile_gone_at),
         paused_by = CASE WHEN accounts.paused_at IS NULL THEN EXCLUDED.paused_by ELSE accounts.paused_by END,
         pause_reason = CASE WHEN accounts.paused_at IS NULL THEN EXCLUDED.pause_reason ELSE accounts.pause_reason END,
         paused_at = COALESCE(accounts.paused_at, EXCLUDED.paused_at), updated_at = now()
       WHERE accounts.offboarded_at IS NULL AND accounts.profile_gone_at IS NULL
       RETURNING account_id`,
          [goneKeys, at, PROFILE_GONE_ACTOR],
        )
      : [];
    const [back]: [Array<{ account_id: string }>, number] = await this.m.query(
      `UPDATE accounts a SET profile_gone_at = NULL, updated_at = now(),
         paused_at = CASE WHEN a.paused_by = $1 THEN NULL ELSE a.paused_at END,
         pause_reason = CASE WHEN a.paused_by = $1 THEN NULL ELSE a.pause_reason END,
         paused_by = CASE WHEN a.paused_by = $1 THEN NULL ELSE a.paused_by END
       WHERE a.profile_gone_at IS NOT NULL AND EXISTS (SELECT 1 FROM profiles p WHERE p.account_key = a.account_key)
       RETURNING a.account_id`,
      [PROFILE_GONE_ACTOR],
    );
    return { gone: gone.map((r) => r.account_id), back: back.map((r) => r.account_id) };
  }

  /** Accounts whose profile has been gone since before `before` and that are not offboarded yet, at most `limit`. */
  async goneSince(before: Date, limit: number): Promise<string[]> {
    const rows: Array<{ account_id: string }> = await this.m.query(
      `SELECT account_id FROM accounts WHERE profile_gone_at < $1 AND offboarded_at IS NULL ORDER BY profile_gone_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.account_id);
  }

  /** Deletes history older than `before`; how many rows. */
  async pruneHistory(before: Date): Promise<number> {
    const res: [unknown[], number] = await this.m.query('DELETE FROM account_events WHERE at < $1', [before]);
    return res[1] ?? 0;
  }
}
