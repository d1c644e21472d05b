import { sha256 } from '@xauth/shared';
import type { ClientCredentials } from './credentials.rule.js';
import { decoyHash, verifySecret } from './secret-hash.rule.js';

/** An API client as stored: the secret only as a salted scrypt hash. */
export interface ApiClient {
  clientId: string;
  secretHash: string;
  name: string;
  scopes: string[];
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
 */
export class ClientAuthenticator {
  private readonly remembered = new Map<string, string>();

  constructor(private readonly clients: ClientLookup) {}

  async authenticate(credentials: ClientCredentials): Promise<AuthenticatedClient | undefined> {
    const client = await this.clients.findById(credentials.clientId);
    if (!client || client.disabledAt) {
      // Same cost as a real check, so timing does not tell which client ids exist.
      await verifySecret(credentials.clientSecret, await decoyHash());
      return undefined;
    }
    const digest = sha256(`${credentials.clientId}\u0000${credentials.clientSecret}`);
    // During a rotation's overlap the previous secret works too, then stops by the clock alone.
    const hashes = [client.secretHash];
    if (client.previousSecretHash && client.previousSecretExpiresAt && client.previousSecretExpiresAt.getTime() > Date.now()) hashes.push(client.previousSecretHash);
    const known = this.remembered.get(digest);
    if (known === undefined || !hashes.includes(known)) {
      const matched = await this.firstMatch(credentials.clientSecret, hashes);
      if (!matched) return undefined;
      this.remember(digest, matched);
    }
    return { clientId: client.clientId, scopes: [...client.scopes], tokenVersion: client.tokenVersion };
  }

  private async firstMatch(secret: string, hashes: string[]): Promise<string | undefined> {
    for (const hash of hashes) if (await verifySecret(secret, hash)) return hash;
    return undefined;
  }

  private remember(digest: string, secretHash: string): void {
    this.remembered.delete(digest);
    this.remembered.set(digest, secretHash);
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
  }
}
