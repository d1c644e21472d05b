import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ErrorCodes } from '@xauth/contracts';
import { TransientError, errorMessage, succeedsWithin, type Logger } from '@xauth/shared';
import { isAlive, killChromium, launchChromium, signalGroup, type LaunchedChromium } from '@xauth/shared/chromium';
import type { OpenProfile, ProfileProvider } from '../domain/ports.js';
import { browsersUsing, clearStaleBrowsers, localProfileDir } from './local-profile-dir.js';

export interface LocalChromiumOptions {
  profilesDir: string;
  chromiumPath: string;
  launchTimeoutMs: number;
  /** SIGTERM first; the group is SIGKILLed if Chromium is not gone after this. */
  stopGraceMs: number;
  logger: Logger;
  /** Called with the number of stale browsers killed on a profile's directory before a start. */
  onOrphansKilled?(count: number): void;
}

/**
 * Local profiles: one persistent Chromium user-data-dir per profile id, launched by this worker
 * in its own process group, so the worker owns the pid and can always end the whole browser.
 */
export class LocalChromiumProvider implements ProfileProvider {
  readonly kind = 'local';
  private readonly running = new Map<string, LaunchedChromium>();

  constructor(private readonly o: LocalChromiumOptions) {}

  async start(profileId: string): Promise<OpenProfile> {
    if (this.running.has(profileId))
      throw new TransientError({ code: ErrorCodes.PROFILE_BUSY, message: `profile ${profileId} already runs in this worker`, deferred: true });
    const dir = await localProfileDir(this.o.profilesDir, profileId);
    // The pool holds the profile's lock: a browser still on the directory was left by a dead worker.
    const stale = await this.reapStale(profileId);
    if (stale > 0) this.o.onOrphansKilled?.(stale);
    let chromium: LaunchedChromium;
    try {
      chromium = await launchChromium({ chromiumPath: this.o.chromiumPath, timeoutMs: this.o.launchTimeoutMs, logger: this.o.logger, userDataDir: dir });
    } catch (err) {
      throw new TransientError({
        code: ErrorCodes.BROWSER_CRASHED,
        message: `Chromium did not start for profile ${profileId}: ${errorMessage(err).slice(0, 300)}`,
      });
    }
    this.running.set(profileId, chromium);
    void chromium.closed.then(() => {
      if (this.running.get(profileId) === chromium) this.running.delete(profileId);
    });
    return { profileId, wsUrl: chromium.wsUrl, openedAt: Date.now() };
  }

  async reapStale(profileId: string): Promise<number> {
    if (this.running.has(profileId)) return 0;
    const stale = await clearStaleBrowsers(await localProfileDir(this.o.profilesDir, profileId));
    if (stale > 0) this.o.logger.warn('killed a browser left on the profile directory', { profileId, count: stale });
    return stale;
  }

  async strays(): Promise<string[]> {
    const ids = await readdir(this.o.profilesDir).catch(() => [] as string[]);
    return ids.filter((id) => !this.running.has(id) && browsersUsing(join(resolve(this.o.profilesDir), id)).length > 0);
  }

  async stop(profileId: string): Promise<void> {
    const chromium = this.running.get(profileId);
    if (chromium) await killChromium(chromium, this.o.stopGraceMs);
  }

  async kill(open: OpenProfile, graceMs: number): Promise<number> {
    const chromium = this.running.get(open.profileId);
    if (!chromium || !isAlive(chromium.pid)) return 0;
    if (await succeedsWithin(chromium.closed, graceMs)) return 0;
    signalGroup(chromium.pid, 'SIGKILL');
    await chromium.closed;
    return 1;
  }
}
