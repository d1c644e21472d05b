import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ErrorCodes, type SigningKeyList, type SigningKeyRotation, type SigningKeyView } from '@xauth/contracts';
import { AppError, ConfigError, type Keyring, type Logger } from '@xauth/shared';
import { ServiceTokens, type TokenKey, type TokenSettings } from './service-token.js';
import { SIGNING_ALGORITHM, generateSigningKey, keyId, parseSigningKeyPem, privateKeyToPem, publicJwk, publicKeyFromJwk } from './signing-key.rule.js';

export interface NewSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: JsonWebKey;
  /** PKCS8 PEM encrypted with the keyring, associated data = kid. */
  privateKeyEnc: string;
}

export interface StoredSigningKey extends NewSigningKey {
  createdAt: Date;
  /** When it starts signing. */
  activatesAt: Date;
  /** When it stops verifying; in the future while it retires. */
  retiredAt: Date | null;
}

export interface SigningKeyStore {
  /** The newest activated unretired key; `create` runs, under a lock shared by all replicas, only when there is none. */
  ensureActive(create: () => NewSigningKey, now: Date): Promise<StoredSigningKey>;
  /** Every key not yet retired at `now`: all are published and verify. */
  listPublished(now: Date): Promise<StoredSigningKey[]>;
  listAll(): Promise<StoredSigningKey[]>;
  /**
   * Under the same lock: unless a key is still waiting to activate (answered as `pending`), stores
   * `next` to sign from `activatesAt`, and sets every unretired older key to retire at `previousRetiresAt`.
   */
  rotate(next: NewSigningKey, times: { now: Date; activatesAt: Date; previousRetiresAt: Date }): Promise<{ pending: StoredSigningKey } | { rotated: true }>;
}

export interface SigningKeySettings {
  configuredPem: string | undefined;
  settings: TokenSettings;
  /** How long before it signs a new key is published: at least one JWKS cache period plus one reload. */
  publishLeadMs: number;
  /** Added to the JWT lifetime before the old key retires: clock tolerance and one reload. */
  retireMarginMs: number;
}

/**
 * The keys that sign and verify service JWTs. Either the configured PEM signs (stored keys only
 * verify until they retire), or keys stored encrypted in signing_keys do: generated once, reused by
 * every replica, and rotated with `rotate`. A rotated key is published at once and signs
 * `publishLeadMs` later; the key it replaces verifies until the last token it can have signed has
 * expired. Every replica reloads the set (`reload`) and switches by the clock, not by the reload.
 */
export class SigningKeys {
  private readonly privateKeys = new Map<string, KeyObject>();
  private configured?: { kid: string; privateKey: KeyObject; since: Date };
  private tokens?: ServiceTokens;

  constructor(
    private readonly input: SigningKeySettings,
    private readonly deps: { store: SigningKeyStore; keyring: Keyring; logger: Logger },
  ) {}

  /** Makes sure a key signs (generating the first one), then loads the set. */
  async load(): Promise<ServiceTokens> {
    if (this.input.configuredPem) {
      const privateKey = parseSigningKeyPem(this.input.configuredPem);
      this.configured = { kid: keyId(privateKey), privateKey, since: new Date() };
    } else {
      await this.deps.store.ensureActive(() => this.generate(), new Date());
    }
    const keys = await this.currentKeys();
    this.tokens = new ServiceTokens(this.input.settings, keys);
    this.deps.logger.info('JWT signing key ready', {
      kid: this.tokens.activeKid,
      source: this.configured ? 'JWT_PRIVATE_KEY_PEM' : 'signing_keys',
      published: keys.length,
    });
    return this.tokens;
  }

  /** Reads the set again (every SIGNING_KEYS_RELOAD_MS): a key another replica rotated in is published here too. */
  async reload(): Promise<void> {
    this.tokens?.setKeys(await this.currentKeys());
  }

  async list(): Promise<SigningKeyList> {
    const now = Date.now();
    const rows = await this.deps.store.listAll();
    const views = rows.map((r) => view(r, now, this.configured ? undefined : activeKid(rows, now)));
    if (this.configured) {
      views.unshift({
        kid: this.configured.kid,
        state: 'active',
        createdAt: this.configured.since.toISOString(),
        activatesAt: this.configured.since.toISOString(),
        retiresAt: null,
      });
    }
    return { keys: views, source: this.configured ? 'configured' : 'database' };
  }

  async rotate(): Promise<SigningKeyRotation> {
    if (this.configured) throw refused('JWT_PRIVATE_KEY_PEM signs: rotate by publishing the new key first, then changing the variable');
    const now = new Date();
    const activatesAt = new Date(now.getTime() + this.input.publishLeadMs);
    const previousRetiresAt = new Date(activatesAt.getTime() + this.input.settings.ttlSeconds * 1000 + this.input.retireMarginMs);
    const next = this.generate();
    const outcome = await this.deps.store.rotate(next, { now, activatesAt, previousRetiresAt });
    if ('pending' in outcome)
      throw refused(`key ${outcome.pending.kid} is published and signs from ${outcome.pending.activatesAt.toISOString()}: rotate again after that`);
    await this.reload();
    const rows = await this.deps.store.listAll();
    const at = now.getTime();
    const current = activeKid(rows, at);
    const previous = rows.find((r) => r.kid === current);
    this.deps.logger.info('JWT signing key rotated', {
      next: next.kid,
      activatesAt: activatesAt.toISOString(),
      previous: previous?.kid,
      previousRetiresAt: previousRetiresAt.toISOString(),
    });
    return {
      next: view(
        rows.find((r) => r.kid === next.kid)!,
        at,
        current,
      ),
      previous: previous ? view(previous, at, current) : null,
    };
  }

  private generate(): NewSigningKey {
    const privateKey = generateSigningKey();
    const kid = keyId(privateKey);
    this.deps.logger.info('generated a new JWT signing key', { kid });
    this.privateKeys.set(kid, privateKey);
    return {
      kid,
      algorithm: SIGNING_ALGORITHM,
      publicJwk: publicJwk(privateKey, kid),
      privateKeyEnc: this.deps.keyring.encrypt(privateKeyToPem(privateKey), kid),
    };
  }

  private async currentKeys(): Promise<TokenKey[]> {
    const stored = await this.deps.store.listPublished(new Date());
    const keys: TokenKey[] = stored.map((s) => ({
      kid: s.kid,
      publicKey: publicKeyFromJwk(s.publicJwk),
      // With a configured PEM, stored keys only verify what they signed before.
      ...(this.configured ? {} : { privateKey: this.privateKey(s) }),
      activatesAt: s.activatesAt.getTime(),
      retiresAt: s.retiredAt?.getTime() ?? null,
    }));
    if (this.configured) {
      const { kid, privateKey } = this.configured;
      return [
        ...keys.filter((k) => k.kid !== kid),
        { kid, privateKey, publicKey: publicKeyFromJwk(publicJwk(privateKey, kid)), activatesAt: 0, retiresAt: null },
      ];
    }
    return keys;
  }

  /** Decrypted once per key and kept: a reload costs one query, not a decryption per key. */
  private privateKey(stored: StoredSigningKey): KeyObject {
    let key = this.privateKeys.get(stored.kid);
    if (!key) {
      key = createPrivateKey(decryptStored(stored, this.deps.keyring));
      this.privateKeys.set(stored.kid, key);
    }
    return key;
  }
}

/** The key that signs at `now`: the newest activated, unretired one. */
function activeKid(rows: readonly StoredSigningKey[], now: number): string | undefined {
  return rows
    .filter((r) => r.activatesAt.getTime() <= now && (r.retiredAt === null || r.retiredAt.getTime() > now))
    .sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime())[0]?.kid;
}

function view(r: StoredSigningKey, now: number, active: string | undefined): SigningKeyView {
  const state = r.retiredAt && r.retiredAt.getTime() <= now ? 'retired' : r.activatesAt.getTime() > now ? 'next' : r.kid === active ? 'active' : 'retiring';
  return { kid: r.kid, state, createdAt: r.createdAt.toISOString(), activatesAt: r.activatesAt.toISOString(), retiresAt: r.retiredAt?.toISOString() ?? null };
}

function refused(message: string): AppError {
  return new AppError({ code: ErrorCodes.SIGNING_KEY_ROTATION_REFUSED, message, httpStatus: 409, retryable: false });
}

function decryptStored(stored: StoredSigningKey, keyring: Keyring): string {
  try {
    return keyring.decrypt(stored.privateKeyEnc, stored.kid);
  } catch {
    const encryptedWith = stored.privateKeyEnc.split('.')[1] ?? '?';
    throw new ConfigError([
      `ENCRYPTION_KEYS: cannot decrypt the stored JWT signing key ${stored.kid} (encrypted with key id "${encryptedWith}"); keep that key in ENCRYPTION_KEYS, or retire the row in signing_keys`,
    ]);
  }
}
