import { errorMessage, sha256, type Logger } from '@xauth/shared';
import type { ClientCredentials } from './credentials.rule.js';
import { SecretCheckGate } from './secret-check-gate.js';
import { decoyHash, hashSecret, needsRehash, verifySecret } from './secret-hash.rule.js';

/** An API client as stored: the secret only as a salted scrypt hash. */
export interface ApiClient {
  clientId: string;
  secretHash: string;
  name: string;
  scopes: string[];
  /** The X apps whose tokens it may read; null: every app. */
  apps: string[] | null;
  createdAt: Date;
  updatedAt: Date;
  disabledAt: Date | null;
  /** The secret before the last rotation, still accepted until `previousSecretExpiresAt`. */
  previousSecretHash: string | null;
  previousSecretExpiresAt: Date | null;
  managedBy: 'bootstrap' | 'operator';
  /** Goes into each JWT (`cv`); JWTs with a lower one are refused. */
  tokenVersion: number;
}

export interface ClientLookup {
  findById(clientId: string): Promise<ApiClient | undefined>;
  /** Replaces `previousHash` (weaker scrypt parameters) with `newHash`, unless the secret changed meanwhile. */
  rehash?(clientId: string, previousHash: string, newHash: string): Promise<boolean>;
}

export interface AuthenticatorOptions {
  /** Secret checks (scrypt) running at once at most. @defaultValue 2 */
  maxConcurrentChecks?: number;
  /** Checks waiting for a slot at most; beyond, 503 AUTH_BUSY. @defaultValue 32 */
  maxWaitingChecks?: number;
  logger?: Logger;
}

export interface AuthenticatedClient {
  clientId: string;
  scopes: string[];
  tokenVersion: number;
}

const MAX_REMEMBERED = 1_000;

/**
 * Checks a client id and secret against the stored hash. scrypt is deliberately slow, so a
 * successful check is remembered (by a digest of id and secret, tied to the stored hash, so a
 * rotated secret, an overlap's end or a disabled client is noticed at once) and API-key requests stay cheap.
 * Checks run through a SecretCheckGate (a few at once); a current secret stored with weaker scrypt
 * parameters than SCRYPT_PARAMS is rehashed with the current ones after it verified (the rehash path).
 */
export class ClientAuthenticator {
  private readonly remembered = new Map<string, string>();
  private readonly gate: SecretCheckGate;

  constructor(
    private readonly clients: ClientLookup,
    private readonly opts: AuthenticatorOptions = {},
  ) {
    this.gate = new SecretCheckGate(opts.maxConcurrentChecks ?? 2, opts.maxWaitingChecks ?? 32);
  }

  async authenticate(credentials: ClientCredentials): Promise<AuthenticatedClient | undefined> {
    const client = await this.clients.findById(credentials.clientId);
    if (!client || client.disabledAt) {
      // Same cost as a real check, so timing does not tell which client ids exist.
      const decoy = await decoyHash();
      await this.gate.run(() => verifySecret(credentials.clientSecret, decoy));
      return undefined;
    }
    const digest = sha256(`${credentials.clientId}\u0000${credentials.clientSecret}`);
    // During a rotation's overlap the previous secret works too, then stops by the clock alone.
    const hashes = [client.secretHash];
    if (client.previousSecretHash && client.previousSecretExpiresAt && client.previousSecretExpiresAt.getTime() > Date.now())
      hashes.push(client.previousSecretHash);
    const known = this.remembered.get(digest);
    if (known === undefined || !hashes.includes(known)) {
      const matched = await this.gate.run(() => this.firstMatch(credentials.clientSecret, hashes));
      if (!matched) return undefined;
      this.remember(digest, matched);
      if (matched === client.secretHash && needsRehash(matched)) await this.rehash(client.clientId, matched, credentials.clientSecret, digest);
    }
    return { clientId: client.clientId, scopes: [...client.scopes], tokenVersion: client.tokenVersion };
  }

  private async firstMatch(secret: string, hashes: string[]): Promise<string | undefined> {
    for (const hash of hashes) if (await verifySecret(secret, hash)) return hash;
    return undefined;
  }

  /** Best effort: a failed rehash leaves the old (still valid) hash for the next login. */
  private async rehash(clientId: string, previousHash: string, secret: string, digest: string): Promise<void> {
    if (!this.clients.rehash) return;
    try {
      const fresh = await this.gate.run(() => hashSecret(secret));
      if (await this.clients.rehash(clientId, previousHash, fresh)) {
        this.remember(digest, fresh);
        this.opts.logger?.info('client secret rehashed with the current scrypt parameters', { clientId });
      }
    } catch (err) {
      this.opts.logger?.warn('client secret rehash failed; the old hash stays until the next login', { clientId, error: errorMessage(err) });
    }
  }

  private remember(digest: string, secretHash: string): void {
    this.remembered.delete(digest);
    this.remembered.set(digest, secretHash);
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
  }
}
