/**
 * A client-side sliding-window budget: at most `limit` calls in any `windowMs`. A call asks for
 * a turn and is told how long to wait for it; a granted turn is booked at once (also a future
 * one), so concurrent callers never book the same free place twice.
 */
export class SlidingWindowBudget {
  /** Times of booked calls, ascending; may lie in the future. */
  private booked: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!(limit >= 1)) throw new Error('a call budget needs a limit of at least 1');
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

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.booked.length && this.booked[drop]! <= now - this.windowMs) drop++;
    if (drop) this.booked.splice(0, drop);
  }
}
