import { ErrorCodes } from '@xauth/contracts';
import { AppError } from '@xauth/shared';

/** What a failed refresh does to its token. */
export type RefreshFailureAction =
  /** X said the refresh token is invalid: the token is dead. */
  | { kind: 'kill' }
  /**
   * Not the token's doing: the app's credentials were refused, or the app's token-endpoint breaker
   * is open. No token is touched or blamed; the app's breaker holds the app's refreshes back.
   */
  | { kind: 'not_the_token' }
  /** The refresh was sent and no answer came: X may have rotated the token; never spend it blindly again. */
  | { kind: 'outcome_unknown' }
  /** Anything else: the token backs off on its own, at least `waitMs` when X named a reset (429). */
  | { kind: 'backoff'; waitMs?: number; rateLimited: boolean };

/** Only X's word that the refresh token is invalid kills a token. */
export function refreshFailureAction(err: unknown): RefreshFailureAction {
  const code = err instanceof AppError ? err.code : undefined;
  switch (code) {
    case ErrorCodes.REFRESH_TOKEN_INVALID:
      return { kind: 'kill' };
    case ErrorCodes.APP_CONFIG_INVALID:
    case ErrorCodes.CIRCUIT_OPEN:
      return { kind: 'not_the_token' };
    case ErrorCodes.REFRESH_OUTCOME_UNKNOWN:
      return { kind: 'outcome_unknown' };
    default:
      return { kind: 'backoff', waitMs: (err as AppError | undefined)?.retryAfterMs, rateLimited: code === ErrorCodes.X_RATE_LIMITED };
  }
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * The wait before a token that failed `failures` times in a row is tried again: exponential from
 * `baseMs`, capped at `maxMs`, with full jitter over its upper half so failing tokens spread out.
 */
export function refreshBackoffMs(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Per-app pauses held in memory: a 429 names a reset that holds for every token of the app. */
export class AppPauses {
  private readonly until = new Map<string, number>();

  pause(app: string, untilMs: number): void {
    this.until.set(app, Math.max(untilMs, this.until.get(app) ?? 0));
  }

  /** Apps paused right now. */
  paused(now = Date.now()): string[] {
    for (const [app, until] of this.until) if (until <= now) this.until.delete(app);
    return [...this.until.keys()];
  }

  isPaused(app: string, now = Date.now()): boolean {
    return this.remainingMs(app, now) > 0;
  }

  remainingMs(app: string, now = Date.now()): number {
    return Math.max(0, (this.until.get(app) ?? 0) - now);
  }
}
