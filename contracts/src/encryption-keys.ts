import { z } from 'zod';

/** `POST /v1/keys/encryption/reencrypt`: one page of a pass that re-encrypts stored secrets under the active key. */
export const ReencryptRequest = z.strictObject({
  /** Rows (tokens and jobs together) this request re-encrypts at most. @defaultValue the orchestrator's REENCRYPT_LIMIT (also the ceiling) */
  limit: z.number().int().min(1).max(100_000).optional(),
  /** Go on after this cursor (`next` of the previous answer); absent: start a pass. */
  after: z.string().max(1_000).optional(),
});

/** How many rows hold a ciphertext under one key id (a row counts once per key it uses). */
export const KeyUsage = z.object({
  keyId: z.string(),
  /** Token rows (access or refresh token). */
  tokens: z.number().int(),
  /** Job rows (PKCE state, verifier, or tokens awaiting the identity check). */
  jobs: z.number().int(),
  active: z.boolean(),
  /** In this orchestrator's ENCRYPTION_KEYS: false means these rows cannot be decrypted. */
  configured: z.boolean(),
});
/** `GET /v1/keys/encryption/usage`: rows per key id, parsed from the ciphertexts. */
export const EncryptionKeyUsage = z.object({
  activeKeyId: z.string(),
  configuredKeyIds: z.array(z.string()),
  keys: z.array(KeyUsage),
  /** Rows holding a ciphertext under a key other than the active one: 0 means every old key can be removed. */
  rowsNotOnActiveKey: z.number().int(),
});

export const ReencryptResult = z.object({
  activeKeyId: z.string(),
  /** Rows rewritten under the active key in this request. */
  reencrypted: z.object({ tokens: z.number().int(), jobs: z.number().int() }),
  /** Rows held by another transaction (e.g. a refresh) and skipped: a later pass takes them. */
  skippedBusy: z.number().int(),
  /** Rows whose ciphertext no configured key decrypts (left as they are). */
  undecryptable: z.number().int(),
  /** More rows follow in this pass: pass as `after`. Absent: the pass is over. */
  next: z.string().optional(),
  /** After this request: rows per key id. */
  usage: EncryptionKeyUsage,
});

export type ReencryptRequest = z.infer<typeof ReencryptRequest>;
export type ReencryptResult = z.infer<typeof ReencryptResult>;
export type KeyUsage = z.infer<typeof KeyUsage>;
export type EncryptionKeyUsage = z.infer<typeof EncryptionKeyUsage>;
