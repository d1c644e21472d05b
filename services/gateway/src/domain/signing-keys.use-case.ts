import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ConfigError, type Keyring, type Logger } from '@xauth/shared';
import { ServiceTokens, type TokenSettings } from './service-token.js';
import { SIGNING_ALGORITHM, generateSigningKey, keyId, parseSigningKeyPem, privateKeyToPem, publicJwk, publicKeyFromJwk } from './signing-key.rule.js';

export interface StoredSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: JsonWebKey;
  /** PKCS8 PEM encrypted with the keyring, associated data = kid. */
  privateKeyEnc: string;
}

export interface SigningKeyStore {
  /** The newest unretired key; `create` runs, under a lock shared by all replicas, only when there is none. */
  ensureActive(create: () => StoredSigningKey): Promise<StoredSigningKey>;
  /** Every unretired key: all are published and accepted. */
  listPublished(): Promise<Array<{ kid: string; publicJwk: JsonWebKey }>>;
}

/**
 * The key that signs service JWTs: the configured PEM, or one generated once and stored encrypted,
 * which every replica and every restart reuses. Unretired stored keys stay published, so tokens
 * signed before a key change keep verifying until they expire.
 */
export async function loadServiceTokens(
  input: { configuredPem: string | undefined; settings: TokenSettings },
  deps: { store: SigningKeyStore; keyring: Keyring; logger: Logger },
): Promise<ServiceTokens> {
  let active: { kid: string; privateKey: KeyObject };
  if (input.configuredPem) {
    const privateKey = parseSigningKeyPem(input.configuredPem);
    active = { kid: keyId(privateKey), privateKey };
  } else {
    const stored = await deps.store.ensureActive(() => {
      const privateKey = generateSigningKey();
      const kid = keyId(privateKey);
      deps.logger.info('generated a new JWT signing key', { kid });
      return { kid, algorithm: SIGNING_ALGORITHM, publicJwk: publicJwk(privateKey, kid), privateKeyEnc: deps.keyring.encrypt(privateKeyToPem(privateKey), kid) };
    });
    active = { kid: stored.kid, privateKey: createPrivateKey(decryptStored(stored, deps.keyring)) };
  }
  const published = (await deps.store.listPublished()).map((k) => ({ kid: k.kid, publicKey: publicKeyFromJwk(k.publicJwk) }));
  deps.logger.info('JWT signing key ready', { kid: active.kid, source: input.configuredPem ? 'JWT_PRIVATE_KEY_PEM' : 'signing_keys', published: published.length });
  return new ServiceTokens(input.settings, active, published);
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
