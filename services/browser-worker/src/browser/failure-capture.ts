import type { BrowserContext, Page } from 'playwright-core';
import { bounded, errorMessage, type Logger } from '@xauth/shared';
import type { AttemptArtifacts } from '../failure-artifacts/artifact-store.js';

export type TraceMode = 'full' | 'snapshots' | 'actions' | 'off';

/**
 * A Playwright trace of the profile's context for one flow: discarded on success, kept (redacted)
 * with a screenshot and the page HTML on failure. A trace that cannot start costs the flow nothing.
 */
export class Recording {
  private constructor(
    private readonly context: BrowserContext,
    private tracing: boolean,
    private readonly logger: Logger,
  ) {}

  static async start(context: BrowserContext, mode: TraceMode, timeoutMs: number, logger: Logger): Promise<Recording> {
    if (mode === 'off') return new Recording(context, false, logger);
    try {
      await bounded(context.tracing.start({ snapshots: mode !== 'actions', screenshots: mode === 'full' }), timeoutMs, 'starting the trace');
      return new Recording(context, true, logger);
    } catch (err) {
      logger.warn('could not start a Playwright trace; a failure will keep no trace', { error: errorMessage(err) });
      return new Recording(context, false, logger);
    }
  }

  /** Success: the trace is dropped unsaved. */
  async discard(timeoutMs: number): Promise<void> {
    if (!this.tracing) return;
    this.tracing = false;
    await bounded(this.context.tracing.stop(), timeoutMs, 'stopping the trace').catch((err: unknown) =>
      this.logger.debug('discarding the trace', { error: errorMessage(err) }),
    );
  }

  /**
   * Failure: screenshot, HTML and trace, each within `timeoutMs`, into `into`. Returns the names of
   * what was kept; what could not be captured (a crashed page) is skipped, never waited for.
   */
  async keep(page: Page, into: AttemptArtifacts | undefined, timeoutMs: number): Promise<string[]> {
    if (!into) {
      await this.discard(timeoutMs);
      return [];
    }
    const kept: string[] = [];
    const attempt = async (what: string, work: () => Promise<string>) => {
      try {
        kept.push(await bounded(work(), timeoutMs, what));
      } catch (err) {
        this.logger.debug(`failure artifact skipped: ${what}`, { error: errorMessage(err) });
      }
    };
    // The profile's cookies are its X session: no artifact may carry them.
    into.addSecrets(
      await bounded(this.context.cookies(), timeoutMs, 'reading cookies').then(
        (cs) => cs.map((c) => c.value),
        () => [],
      ),
    );
    // A navigation still pending (X slow to answer) holds every look at the page until it commits.
    await bounded(stopLoading(page), timeoutMs, 'stopping the page').catch((err: unknown) =>
      this.logger.debug('could not stop the page loading', { error: errorMessage(err) }),
    );
    await Promise.all([
      attempt('screenshot', async () => into.putBinary('screenshot.png', await page.screenshot({ type: 'png', timeout: timeoutMs }))),
      attempt('page HTML', async () => into.putText('page.html', await page.content())),
    ]);
    if (this.tracing) {
      this.tracing = false;
      await attempt('trace', () => into.putTrace((path) => this.context.tracing.stop({ path })));
    }
    return kept.sort();
  }
}

async function stopLoading(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Page.stopLoading');
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
