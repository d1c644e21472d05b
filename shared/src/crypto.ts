import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors.js';
import { ErrorCodes } from '@xauth/contracts';

const VERSION = 'v1';

/**
 * AES-256-GCM with key ids, for tokens, verifiers and states at rest. The ciphertext is
 * `v1.<kid>.<iv>.<tag>.<data>` (base64url), so old keys keep decrypting after a rotation.
 */
export class Keyring {
  private readonly keys: Map<string, Buffer>;
  readonly activeKeyId: string;

  /** @param spec `kid:base64key[,kid:base64key...]`; the first key encrypts, all decrypt. */
  constructor(spec: string) {
    this.keys = new Map();
    for (const part of spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const idx = part.indexOf(':');
      const kid = part.slice(0, idx);
      const key = Buffer.from(part.slice(idx + 1), 'base64');
      if (idx <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new Error('ENCRYPTION_KEYS: each entry must be kid:base64key');
      if (key.length !== 32) throw new Error(`ENCRYPTION_KEYS: key "${kid}" must be 32 bytes (base64 of 32 random bytes)`);
      this.keys.set(kid, key);
    }
    const first = this.keys.keys().next();
    if (first.done) throw new Error('ENCRYPTION_KEYS: at least one key is required');
    this.activeKeyId = first.value;
  }

  /** Every configured key id, the active one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** The key id a ciphertext names (undefined for anything that is not one). */
  static keyIdOf(ciphertext: string): string | undefined {
    const [version, kid] = ciphertext.split('.');
    return version === VERSION && kid ? kid : undefined;
  }

  encrypt(plaintext: string, aad = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.activeKeyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  /** @param aad the same associated data given to encrypt (binds a ciphertext to its row). */
  decrypt(ciphertext: string, aad = ''): string {
    const [version, kid, iv, tag, data] = ciphertext.split('.');
    const key = kid === undefined ? undefined : this.keys.get(kid);
    if (version !== VERSION || !key || !iv || !tag || data === undefined) {
      throw new AppError({ code: ErrorCodes.INTERNAL, message: `cannot decrypt: unknown format or key id "${kid ?? ''}"`, retryable: false });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new AppError({ code: ErrorCodes.INTERNAL, message: 'cannot decrypt: authentication failed', retryable: false, cause });
    }
  }

  static generateSpec(kid = 'k1'): string {
    return `${kid}:${randomBytes(32).toString('base64')}`;
  }
}

/** A fixed development keyring; services refuse it when NODE_ENV=production. */
export const DEV_ENCRYPTION_KEYS = `dev:${Buffer.alloc(32, 7).toString('base64')}`;

/** SHA-256 hex, for hashed secrets and lookup keys. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
