import { createHash, timingSafeEqual } from 'node:crypto';

export type PkceMethod = 'S256' | 'plain';

/** RFC 7636: S256 compares base64url(sha256(verifier)) with the challenge, plain compares them as is. */
export function pkceMatches(verifier: string, challenge: string, method: PkceMethod): boolean {
  const derived = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  const a = Buffer.from(derived);
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}
