import { errorMessage, succeedsWithin, type Logger } from '@xauth/shared';
import type { OpenProfile, ProfileProvider } from '../domain/ports.js';
import type { PoolMetrics } from './pool-metrics.js';

/** After a stop that answered, how long the browser may take to exit before it counts as stuck. */
const EXIT_GRACE_MS = 1_000;

/**
 * Closes a profile's browser within a bound: a polite stop first, then whatever still runs is
 * killed with its process tree (counted as an orphan). Never throws, never waits unbounded.
 */
export class BrowserCloser {
  constructor(
    private readonly provider: ProfileProvider,
    private readonly metrics: PoolMetrics,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  async close(open: OpenProfile): Promise<void> {
    const { profileId } = open;
    try {
      const stopped = await this.stopPolitely(profileId);
      // A stop that did not answer gets no more time: the browser is killed at once.
      const killed = await this.provider.kill(open, stopped ? Math.min(EXIT_GRACE_MS, this.timeoutMs) : 0);
      if (killed > 0) {
        this.logger.warn('browser did not end when asked: killed its process tree', { profileId, count: killed });
        this.metrics.orphansKilled(killed);
      }
    } catch (err) {
      this.logger.error('could not close the profile browser', { profileId, error: errorMessage(err) });
    }
  }

  /** True when the provider answered the stop within the bound. */
  async stopPolitely(profileId: string): Promise<boolean> {
    const stopped = this.provider.stop(profileId).catch((err: unknown) => {
      this.logger.warn('profile stop failed', { profileId, error: errorMessage(err) });
      throw err;
    });
    return succeedsWithin(stopped, this.timeoutMs);
  }
}
