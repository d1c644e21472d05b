import type { EncryptionKeyUsage, ReencryptResult } from '@xauth/contracts';
import { Keyring } from '@xauth/shared';
import type { OrchestratorDeps } from '../deps.js';
import type { EncryptedRow, EncryptedTableName } from '../model.js';

/** Rows per transaction: short enough that a refresh finding its row locked only waits one round. */
const ROWS_PER_TRANSACTION = 100;
const TABLES: EncryptedTableName[] = ['tokens', 'jobs'];

interface Cursor {
  table: EncryptedTableName;
  after?: string[];
}
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(s: string | undefined): Cursor {
  if (!s) return { table: TABLES[0]! };
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (TABLES.includes(c.table) && (c.after === undefined || (Array.isArray(c.after) && c.after.every((k) => typeof k === 'string')))) return c;
  } catch {
    /* not a cursor */
  }
  return { table: TABLES[0]! };
}

/**
 * One page of a re-encryption pass: token rows, then job rows, in key order after the cursor; each
 * row under another key than the active one is decrypted with the key its ciphertext names and
 * encrypted again under the active key with the same associated data, in short row-locked
 * transactions (SKIP LOCKED). Reads go on meanwhile: every configured key still decrypts.
 */
export async function reencryptSecrets(deps: OrchestratorDeps, opts: { limit?: number; after?: string }): Promise<ReencryptResult> {
  const limit = Math.min(opts.limit ?? deps.settings.reencryptLimit, deps.settings.reencryptLimit);
  const active = deps.keyring.activeKeyId;
  const done = { tokens: 0, jobs: 0 };
  let skippedBusy = 0;
  let undecryptable = 0;
  let cursor: Cursor | undefined = decodeCursor(opts.after);
  let budget = limit;
  while (cursor && budget > 0) {
    const asked = Math.min(ROWS_PER_TRANSACTION, budget);
    const keys = await deps.encryptedRows.candidates(cursor.table, active, cursor.after, asked);
    const table: EncryptedTableName = cursor.table;
    const r = await deps.encryptedRows.rewrite(table, active, keys, (row) => {
      const fresh = reencryptRow(deps.keyring, row);
      if (!fresh) undecryptable++;
      return fresh;
    });
    done[table] += r.rewritten;
    skippedBusy += keys.length - r.locked;
    budget -= keys.length;
    // A full page may have more after it; a short one ends this table.
    const next: EncryptedTableName | undefined = TABLES[TABLES.indexOf(table) + 1];
    cursor = keys.length === asked ? { table, after: keys.at(-1) } : next ? { table: next } : undefined;
  }
  if (done.tokens + done.jobs + skippedBusy + undecryptable > 0)
    deps.logger.info('re-encryption page done', { activeKeyId: active, ...done, skippedBusy, undecryptable });
  return {
    activeKeyId: active,
    reencrypted: done,
    skippedBusy,
    undecryptable,
    ...(cursor ? { next: encodeCursor(cursor) } : {}),
    usage: await encryptionKeyUsage(deps),
  };
}

/** The row's ciphertexts under the active key; undefined when one cannot be decrypted (its key is gone, or it was tampered with). */
function reencryptRow(keyring: Keyring, row: EncryptedRow): Record<string, string> | undefined {
  const fresh: Record<string, string> = {};
  for (const [column, ciphertext] of Object.entries(row.values)) {
    if (Keyring.keyIdOf(ciphertext) === keyring.activeKeyId) continue;
    try {
      fresh[column] = keyring.encrypt(keyring.decrypt(ciphertext, row.aad), row.aad);
    } catch {
      return undefined;
    }
  }
  return fresh;
}

/** How many rows each key id holds, parsed from the stored ciphertexts. */
export async function encryptionKeyUsage(deps: OrchestratorDeps): Promise<EncryptionKeyUsage> {
  const configured = deps.keyring.keyIds;
  const active = deps.keyring.activeKeyId;
  const u = await deps.encryptedRows.usage(active);
  const keys = new Map(u.byKey.map((k) => [k.keyId, k]));
  for (const kid of configured) if (!keys.has(kid)) keys.set(kid, { keyId: kid, tokens: 0, jobs: 0 });
  return {
    activeKeyId: active,
    configuredKeyIds: configured,
    keys: [...keys.values()].map((k) => ({ ...k, active: k.keyId === active, configured: configured.includes(k.keyId) })),
    rowsNotOnActiveKey: u.notOnActive,
  };
}
