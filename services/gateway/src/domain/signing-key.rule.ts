import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

export const SIGNING_ALGORITHM = 'ES256';

/** A public JWK as published in the JWKS. */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: typeof SIGNING_ALGORITHM;
  use: 'sig';
}

function assertP256(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('must be an EC P-256 (prime256v1) key for ES256');
  }
}

/** Reads an EC P-256 private key in PKCS8 PEM; throws a message without key material. */
export function parseSigningKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('must be a PKCS8 PEM private key');
  }
  assertP256(key);
  return key;
}

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

export function generateSigningKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** RFC 7638 thumbprint of the public key: the same key gets the same kid on every replica. */
export function keyId(privateOrPublic: KeyObject): string {
  const { crv, kty, x, y } = publicOf(privateOrPublic).export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

export function publicJwk(privateOrPublic: KeyObject, kid: string): PublicJwk {
  const { crv, kty, x, y } = publicOf(privateOrPublic).export({ format: 'jwk' });
  return { kty, crv, x, y, kid, alg: SIGNING_ALGORITHM, use: 'sig' };
}

export function publicKeyFromJwk(jwk: JsonWebKey): KeyObject {
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  assertP256(key);
  return key;
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}
