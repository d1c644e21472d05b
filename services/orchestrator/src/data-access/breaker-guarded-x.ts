import { ErrorCodes } from '@xauth/contracts';
import { AppError, TransientError, type CircuitBreaker, type CircuitBreakers } from '@xauth/shared';
import type { XIdentity } from '../domain/identity.js';
import type { TokenSet, XApp } from '../domain/model.js';
import type { XOAuthPort } from '../domain/ports.js';

/** X's token endpoint did not answer (5xx, 429, network, timeout). */
const OUTAGE: ReadonlySet<string> = new Set([ErrorCodes.X_UNAVAILABLE, ErrorCodes.X_RATE_LIMITED]);

/**
 * How much one failed token call counts against the app's breaker: an outage counts once; X refusing
 * the app's own credentials (401, invalid_client, unauthorized_client) counts half the threshold,
 * so two such answers open it (one could be a glitch, more will not heal by themselves); a refused
 * code or refresh token (400 invalid_grant) is X answering normally and counts nothing.
 */
export function tokenEndpointFailureWeight(err: unknown, threshold: number): number {
  if (!(err instanceof AppError)) return 0;
  if (OUTAGE.has(err.code)) return 1;
  return err.code === ErrorCodes.APP_CONFIG_INVALID ? Math.max(1, Math.ceil(threshold / 2)) : 0;
}

/**
 * X's OAuth port behind one circuit breaker per app over the token endpoint (`x-token:<app>`), shared
 * by the orchestrator replicas in its schema. While an app's breaker is open, code exchanges and
 * refreshes of that app are refused with a deferred `CIRCUIT_OPEN` without calling X. A refresh
 * X refused for the app's credentials leaves the token alone (a transient error): only X's word
 * about the refresh token itself kills a token. `/2/users/me` and revoke pass through.
 */
export class BreakerGuardedX implements XOAuthPort {
  constructor(
    private readonly x: XOAuthPort,
    private readonly breakers: CircuitBreakers,
    private readonly threshold: number,
  ) {}

  /** The app's token-endpoint breaker. */
  breakerOf(app: string): CircuitBreaker {
    return this.breakers.get(`x-token:${app}`, `X token endpoint (app ${app})`);
  }

  exchangeCode(app: XApp, p: { code: string; verifier: string; redirectUri: string }): Promise<TokenSet> {
    return this.guard(app, () => this.x.exchangeCode(app, p));
  }

  async refresh(app: XApp, refreshToken: string): Promise<TokenSet> {
    try {
      return await this.guard(app, () => this.x.refresh(app, refreshToken));
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCodes.APP_CONFIG_INVALID && !err.retryable) {
        throw new TransientError({ code: err.code, message: `${err.message}; the token is kept until the app's credentials are fixed`, cause: err });
      }
      throw err;
    }
  }

  me(accessToken: string): Promise<XIdentity> {
    return this.x.me(accessToken);
  }

  revoke(app: XApp, token: string, kind: 'access_token' | 'refresh_token'): Promise<void> {
    return this.x.revoke(app, token, kind);
  }

  private async guard<T>(app: XApp, call: () => Promise<T>): Promise<T> {
    const breaker = this.breakerOf(app.name);
    const ticket = await breaker.admit();
    try {
      const out = await call();
      await breaker.success();
      return out;
    } catch (err) {
      const weight = tokenEndpointFailureWeight(err, this.threshold);
      if (weight > 0) await breaker.failure(err, weight);
      else if (err instanceof AppError && !err.retryable) await breaker.success();
      throw err;
    } finally {
      if (ticket.probe) await ticket.abandon();
    }
  }
}
