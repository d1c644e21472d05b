import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes } from '@xauth/contracts';
import {
  AppError,
  SpanKind,
  TransientError,
  callHttp,
  inLazySpan,
  inSpan,
  requestMayHaveArrived,
  type CallBudget,
  type CircuitBreaker,
  type OutboundResponse,
} from '@xauth/shared';
import { isGoLoginOutage } from '../domain/breaker-outcomes.rule.js';
import type { OpenProfile, ProfileProvider } from '../domain/ports.js';
import { reapBrowserAt } from '../pool/browser-reaper.js';

export interface GoLoginOptions {
  baseUrl: string;
  token: string;
  /** Bound of one API call. */
  timeoutMs: number;
  /** Bound of a stop call: a stop that hangs is given up on and the browser killed. */
  stopTimeoutMs: number;
  /** Bound of a start GoLogin answers as pending. */
  startTimeoutMs: number;
  pollMs: number;
  /** Asked before every call (by every replica, when shared), so the worker never provokes GoLogin's 429. */
  budget: CallBudget;
  budgetWaitMs: number;
  /** The GoLogin API token's circuit breaker (shared by the replicas): told how each call went. */
  breaker?: Pick<CircuitBreaker, 'success' | 'failure'>;
}

type StartBody = { status?: unknown; wsUrl?: unknown } | undefined;

/** Profiles from the GoLogin API: start returns the browser's CDP `wsUrl`; stop always. */
export class GoLoginProvider implements ProfileProvider {
  readonly kind = 'gologin';
  constructor(private readonly o: GoLoginOptions) {}

  private async call(method: 'GET' | 'POST', path: string, timeoutMs = this.o.timeoutMs): Promise<OutboundResponse> {
    const turn = await inSpan('gologin call budget', {}, () => this.o.budget.turn(this.o.budgetWaitMs));
    if (!turn.granted) {
      throw new TransientError({
        code: ErrorCodes.GOLOGIN_RATE_LIMITED,
        message: `GoLogin call budget (${this.o.budget.limit}/min) spent; not calling GoLogin`,
        retryAfterMs: turn.retryAfterMs,
      });
    }
    if (turn.waitMs > 0) await sleep(turn.waitMs);
    // Our own budget's refusal (above) never reaches the breaker: only GoLogin's answers do.
    let res: OutboundResponse;
    try {
      res = await inLazySpan(
        () => ({
          name: `GoLogin ${method} ${path.replace(/^\/browser\/[^/]+/, '/browser/:id')}`,
          attributes: { 'http.request.method': method },
          kind: SpanKind.CLIENT,
        }),
        () =>
          callHttp(new URL(path, this.o.baseUrl).toString(), {
            method,
            headers: { authorization: `Bearer ${this.o.token}` },
            timeoutMs,
            dependency: 'GoLogin',
            unavailableCode: ErrorCodes.GOLOGIN_UNAVAILABLE,
            rateLimitedCode: ErrorCodes.GOLOGIN_UNAVAILABLE,
          }),
      );
    } catch (err) {
      if (isGoLoginOutage(err)) await this.o.breaker?.failure(err);
      throw err;
    }
    await this.o.breaker?.success();
    return res;
  }

  /**
   * Once GoLogin may have taken the start (its answer was lost to our timeout or a broken
   * connection, or it answered "pending"), any failure may leave the browser coming up: it is
   * stopped here, while the pool holds the profile's lock, or the next start of the profile finds
   * it running (409) and must treat it as a dead worker's.
   */
  async start(profileId: string): Promise<OpenProfile> {
    const path = `/browser/${encodeURIComponent(profileId)}`;
    let pending = false;
    try {
      const res = await this.call('POST', `${path}/start`);
      if (res.status === 409)
        throw new TransientError({ code: ErrorCodes.PROFILE_BUSY, message: `GoLogin says profile ${profileId} is already running`, deferred: true });
      const body = res.body as StartBody;
      if (res.status === 200 && typeof body?.wsUrl === 'string') return { profileId, wsUrl: body.wsUrl, openedAt: Date.now() };
      pending = (res.status === 200 || res.status === 202) && body?.status === 'pending';
      if (pending) return await this.waitUntilRunning(profileId, path);
      throw new AppError({
        code: ErrorCodes.GOLOGIN_UNAVAILABLE,
        message: `GoLogin could not start profile ${profileId} (${res.status})`,
        retryable: res.status !== 401 && res.status !== 404,
      });
    } catch (err) {
      if (pending || requestMayHaveArrived(err)) await this.stop(profileId).catch(() => undefined);
      throw err;
    }
  }

  /** A pending start: ask for the profile's status until it runs, within the start bound. */
  private async waitUntilRunning(profileId: string, path: string): Promise<OpenProfile> {
    const deadline = Date.now() + this.o.startTimeoutMs;
    while (Date.now() + this.o.pollMs < deadline) {
      await sleep(this.o.pollMs);
      const res = await this.call('GET', `${path}/status`);
      const body = res.body as StartBody;
      if (res.status === 200 && body?.status === 'running' && typeof body.wsUrl === 'string') return { profileId, wsUrl: body.wsUrl, openedAt: Date.now() };
      if (res.status !== 200 || body?.status !== 'pending') {
        const ended = typeof body?.status === 'string' ? body.status : `with HTTP ${res.status}`;
        throw new TransientError({ code: ErrorCodes.GOLOGIN_UNAVAILABLE, message: `GoLogin's pending start of profile ${profileId} ended ${ended}` });
      }
    }
    throw new TransientError({ code: ErrorCodes.TIMEOUT, message: `profile ${profileId} was still starting after ${this.o.startTimeoutMs} ms` });
  }

  async stop(profileId: string): Promise<void> {
    await this.call('POST', `/browser/${encodeURIComponent(profileId)}/stop`, this.o.stopTimeoutMs);
  }

  /** A stale run that would not stop: GoLogin's status names its wsUrl, and a local one can be killed. */
  async reapStale(profileId: string): Promise<number> {
    const res = await this.call('GET', `/browser/${encodeURIComponent(profileId)}/status`);
    const body = res.body as StartBody;
    return res.status === 200 && typeof body?.wsUrl === 'string' ? reapBrowserAt(body.wsUrl, 0) : 0;
  }

  /** GoLogin runs cannot be told apart by owner; a stale one is found when its profile is next started (409). */
  async strays(): Promise<string[]> {
    return [];
  }

  /** GoLogin's browser runs on this host when its wsUrl is local: then its process can be found and ended. */
  kill(open: OpenProfile, graceMs: number): Promise<number> {
    return reapBrowserAt(open.wsUrl, graceMs, open.openedAt);
  }
}
