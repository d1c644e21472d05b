import type { Attachable, ChannelSource } from './bus-context.js';

/** The bus's consumers: attached again after every reconnect, stopped on close; a stopped one leaves. */
export class SubscriptionRegistry {
  private readonly members = new Set<Attachable>();

  /**
   * Registers the consumer `make` builds (it gets the callback to call once stopped) and, when the
   * link is up (`source` given), attaches it now; otherwise the next connect does.
   */
  async add<T extends Attachable>(make: (onStopped: () => void) => T, source: ChannelSource | undefined): Promise<T> {
    const member = make(() => this.members.delete(member));
    this.members.add(member);
    if (source) await member.attach(source);
    return member;
  }

  /** Every consumer consumes again, on a connection that just came up. */
  async attachAll(source: ChannelSource): Promise<void> {
    for (const member of this.members) await member.attach(source);
  }

  /** Stops every consumer (in-flight work finishes within `timeoutMs`). */
  async stopAll(timeoutMs: number): Promise<void> {
    await Promise.all([...this.members].map((m) => m.stop(timeoutMs)));
  }
}
