import { createHash } from 'node:crypto';

/**
 * The PostgreSQL advisory lock key of a profile: the first 8 bytes of SHA-256 over
 * `xauth-profile:<namespace>:<profileId>`, as a signed 64-bit integer (pg's bigint), in decimal.
 * The namespace keeps test runs and deployments sharing one server apart.
 */
export function profileLockKey(namespace: string, profileId: string): string {
  const digest = createHash('sha256').update(`xauth-profile:${namespace}:${profileId}`).digest();
  return digest.readBigInt64BE(0).toString();
}
