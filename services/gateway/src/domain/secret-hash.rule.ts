import { randomBytes, scrypt } from 'node:crypto';
import { constantTimeEqual } from '@xauth/shared';

// N=2^14, r=8 needs 16 MiB, inside node's default scrypt memory cap; the params travel with the hash.
const PARAMS = { N: 16_384, r: 8, p: 1 };
const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url) with a fresh 16-byte salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, PARAMS.N, PARAMS.r, PARAMS.p);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Compares in constant time; a malformed stored hash never verifies. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const N = Number(n), R = Number(r), P = Number(p);
  if (scheme !== 'scrypt' || !salt || !hash || ![N, R, P].every((v) => Number.isInteger(v) && v > 0) || N > 1_048_576) return false;
  const actual = await derive(secret, Buffer.from(salt, 'base64url'), N, R, P);
  return constantTimeEqual(actual.toString('base64url'), hash);
}

/** A hash of a random secret: verified against when a client is unknown, so both cases take as long. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashSecret(randomBytes(24).toString('base64url'));
  return decoy;
}
