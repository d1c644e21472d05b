import type { BreakerTicket, CircuitBreaker } from '@xauth/shared';
import { isGoLoginOutage, xWebOutcome } from '../domain/breaker-outcomes.rule.js';
import type { DependencyGate, GatePass } from '../domain/ports.js';

/**
 * The `x-web` breaker, then the GoLogin one (absent for local profiles). A job refused by the
 * second gives back a probe it claimed on the first. GoLogin's outcomes are recorded by the
 * provider around each API call; X's pages' from the flow's outcome.
 */
export class BreakerGate implements DependencyGate {
  constructor(
    private readonly xWeb: CircuitBreaker,
    private readonly gologin?: CircuitBreaker,
  ) {}

  async enter(): Promise<GatePass> {
    const tickets: BreakerTicket[] = [];
    try {
      tickets.push(await this.xWeb.admit());
      if (this.gologin) tickets.push(await this.gologin.admit());
    } catch (err) {
      await Promise.all(tickets.map((t) => t.abandon()));
      throw err;
    }
    return {
      flowEnded: async (err) => {
        const outcome = xWebOutcome(err);
        if (outcome === 'success') await this.xWeb.success();
        else if (outcome === 'failure') await this.xWeb.failure(err);
      },
      leave: async () => {
        await Promise.all(tickets.filter((t) => t.probe).map((t) => t.abandon()));
      },
      deferral: async (err) => {
        if (this.gologin && isGoLoginOutage(err)) return this.gologin.refusal();
        return xWebOutcome(err) === 'failure' ? this.xWeb.refusal() : undefined;
      },
    };
  }
}
