/** The answer to a request for a call's turn: go after `waitMs`, or not now (try again after `retryAfterMs`). */
export type CallTurn = { granted: true; waitMs: number } | { granted: false; retryAfterMs: number };

/** A budget of calls per window, asked for a turn before each call. */
export interface CallBudget {
  readonly limit: number;
  /** Books a turn that comes within `maxWaitMs`, or refuses (nothing booked then). */
  turn(maxWaitMs: number): Promise<CallTurn>;
}

/**
 * A sliding-window budget: at most `limit` calls in any `windowMs`. A call asks for a turn and is
 * told how long to wait for it; a granted turn is booked at once (also a future one), so concurrent
 * callers never book the same free place twice. In memory it serves one process; the shared
 * budget (`SharedCallBudget`) runs the same rule over the bookings of every replica.
 */
export class SlidingWindowBudget implements CallBudget {
  /** Times of booked calls, ascending; may lie in the future. */
  private booked: number[];

  /** @param booked earlier bookings (epoch ms, ascending), e.g. as read from a shared store */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    booked: readonly number[] = [],
  ) {
    if (!(limit >= 1)) throw new Error('a call budget needs a limit of at least 1');
    this.booked = [...booked];
  }

  /** How long a call at `now` must wait for its turn (0: at once); nothing is booked. */
  waitFor(now: number): number {
    this.prune(now);
    if (this.booked.length < this.limit) return 0;
    // The call may go once the booking `limit` places back has left the window.
    return Math.max(0, this.booked[this.booked.length - this.limit]! + this.windowMs - now);
  }

  /**
   * Books a turn if it comes within `maxWaitMs` and says how long to wait for it; `undefined`
   * when it would come later (nothing is booked then).
   */
  book(now: number, maxWaitMs: number): number | undefined {
    const wait = this.waitFor(now);
    if (wait > maxWaitMs) return undefined;
    this.booked.push(now + wait);
    return wait;
  }

  /** `book` at `now`, as a turn. */
  turnAt(now: number, maxWaitMs: number): CallTurn {
    const waitMs = this.book(now, maxWaitMs);
    return waitMs === undefined ? { granted: false, retryAfterMs: this.waitFor(now) } : { granted: true, waitMs };
  }

  async turn(maxWaitMs: number): Promise<CallTurn> {
    return this.turnAt(Date.now(), maxWaitMs);
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.booked.length && this.booked[drop]! <= now - this.windowMs) drop++;
    if (drop) this.booked.splice(0, drop);
  }
}
