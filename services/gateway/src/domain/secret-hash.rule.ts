import { randomBytes, scrypt } from 'node:crypto';
import { constantTimeEqual } from '@xauth/shared';

/**
 * OWASP Password Storage Cheat Sheet's scrypt minimum: N=2^17, r=8, p=1, i.e. 128 * N * r =
 * 128 MiB of memory per derivation (the ClientAuthenticator's semaphore caps how many run at once).
 * The parameters travel with each hash (`scrypt$N$r$p$salt$hash`), so a hash is verified with its
 * own, and one weaker than these is rehashed at the client's next successful authentication.
 */
export const SCRYPT_PARAMS = { N: 131_072, r: 8, p: 1 } as const;
export const SCRYPT_MEMORY_BYTES = 128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r;
const KEY_LENGTH = 32;
// The largest N a stored hash may name: above it, a hash is malformed (no unbounded allocation).
const MAX_N = 1_048_576;

function derive(secret: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url) with a fresh 16-byte salt. */
export async function hashSecret(secret: string, params: { N: number; r: number; p: number } = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, params.N, params.r, params.p);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parse(stored: string): { N: number; r: number; p: number; salt: string; hash: string } | undefined {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const N = Number(n),
    R = Number(r),
    P = Number(p);
  if (scheme !== 'scrypt' || !salt || !hash || ![N, R, P].every((v) => Number.isInteger(v) && v > 0) || N > MAX_N) return undefined;
  return { N, r: R, p: P, salt, hash };
}

/** Compares in constant time, with the parameters stored in the hash; a malformed stored hash never verifies. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const actual = await derive(secret, Buffer.from(h.salt, 'base64url'), h.N, h.r, h.p);
  return constantTimeEqual(actual.toString('base64url'), h.hash);
}

/** True when a stored hash was made with weaker parameters than SCRYPT_PARAMS (rehash it at the next login). */
export function needsRehash(stored: string): boolean {
  const h = parse(stored);
  return !h || h.N < SCRYPT_PARAMS.N || h.r < SCRYPT_PARAMS.r || h.p < SCRYPT_PARAMS.p;
}

/** A hash of a random secret: verified against when a client is unknown, so both cases take as long. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashSecret(randomBytes(24).toString('base64url'));
  return decoy;
}
