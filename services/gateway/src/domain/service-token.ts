import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SIGNING_ALGORITHM, publicJwk, type PublicJwk } from './signing-key.rule.js';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Who a request acts for, with the scopes it may use. */
export interface Principal {
  clientId: string;
  scopes: string[];
  via: 'jwt' | 'api-key';
  /** The client's token version the JWT was issued under (claim `cv`; 0 when absent). */
  tokenVersion?: number;
}

/**
 * One key of the set: published (JWKS) and verifying from when it is loaded until `retiresAt`;
 * signing (when it holds the private key) from `activatesAt` on, the newest such key winning.
 * Times are epoch milliseconds, so every replica switches at the same moment, whenever it reloaded.
 */
export interface TokenKey {
  kid: string;
  publicKey: KeyObject;
  privateKey?: KeyObject;
  activatesAt: number;
  retiresAt: number | null;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/** Why a bearer token is refused; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/**
 * Signs service JWTs with the active key and verifies them against every published key.
 * The algorithm is pinned: a token's own `alg` header never chooses how it is checked.
 */
export class ServiceTokens {
  private keys: TokenKey[] = [];
  private verifying = new Map<string, TokenKey>();

  constructor(private readonly settings: TokenSettings, keys: readonly TokenKey[]) {
    this.setKeys(keys);
  }

  /** A token set with one key that signs from now on and never retires (tests, a configured PEM). */
  static withKey(settings: TokenSettings, key: { kid: string; privateKey: KeyObject }): ServiceTokens {
    return new ServiceTokens(settings, [{ ...key, publicKey: createPublicKey(key.privateKey), activatesAt: 0, retiresAt: null }]);
  }

  /** Replaces the key set (a reload); newest activation first. */
  setKeys(keys: readonly TokenKey[]): void {
    if (!keys.some((k) => k.privateKey)) throw new Error('no key can sign');
    this.keys = [...keys].sort((a, b) => b.activatesAt - a.activatesAt);
    this.verifying = new Map(this.keys.map((k) => [k.kid, k]));
  }

  /** The key that signs now: the newest activated one holding its private key. */
  get activeKid(): string {
    return this.signer(Date.now()).kid;
  }

  private signer(now: number): TokenKey & { privateKey: KeyObject } {
    const ready = this.keys.filter((k): k is TokenKey & { privateKey: KeyObject } => k.privateKey !== undefined);
    // Before any key's activation (a clock behind the others), the oldest signs: never no key at all.
    return ready.find((k) => k.activatesAt <= now) ?? ready[ready.length - 1]!;
  }

  issue(clientId: string, scopes: readonly string[], tokenVersion = 0): IssuedToken {
    const signer = this.signer(Date.now());
    const token = jwt.sign({ scope: scopes.join(' '), cv: tokenVersion }, signer.privateKey, {
      algorithm: SIGNING_ALGORITHM,
      keyid: signer.kid,
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      subject: clientId,
      expiresIn: this.settings.ttlSeconds,
      jwtid: randomUUID(),
    });
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  verify(token: string): Principal {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    const found = kid === undefined ? undefined : this.verifying.get(kid);
    const key = found && (found.retiresAt === null || found.retiresAt > Date.now()) ? found.publicKey : undefined;
    if (!decoded || !key) throw new InvalidTokenError('token is malformed or signed by an unknown key');
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: 5,
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new InvalidTokenError('token expired');
      throw new InvalidTokenError('token is invalid');
    }
    if (typeof claims === 'string' || typeof claims.sub !== 'string' || typeof claims.scope !== 'string' || claims.exp === undefined) {
      throw new InvalidTokenError('token lacks sub, scope or exp');
    }
    const tokenVersion = typeof claims.cv === 'number' ? claims.cv : 0;
    return { clientId: claims.sub, scopes: claims.scope.split(' ').filter(Boolean), via: 'jwt', tokenVersion };
  }

  /** Every key that verifies now, the next one (published before it signs) included. */
  jwks(): { keys: PublicJwk[] } {
    const now = Date.now();
    return { keys: this.keys.filter((k) => k.retiresAt === null || k.retiresAt > now).map((k) => publicJwk(k.publicKey, k.kid)) };
  }
}
