import { chromium } from 'playwright-core';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, succeedsWithin, type Logger } from '@xauth/shared';
import { killChromium, launchChromium } from '@xauth/shared/chromium';
import type { BrowserCookie } from '../domain/cookie-export.rule.js';
import { browsersUsing, localProfileDir } from './local-profile-dir.js';

export interface ImportOptions {
  profilesDir: string;
  chromiumPath: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Writes cookies into a local profile's Chromium user-data-dir: starts Chromium on it, adds the
 * cookies to the default context, and closes the browser cleanly so Chromium saves them.
 * Session cookies (no expiry) are not kept by Chromium across restarts.
 */
export async function importProfileCookies(
  profileId: string,
  cookies: BrowserCookie[],
  o: ImportOptions,
): Promise<{ dir: string; imported: number; session: number }> {
  const dir = await localProfileDir(o.profilesDir, profileId);
  if (browsersUsing(dir).length > 0) {
    throw new AppError({
      code: ErrorCodes.PROFILE_BUSY,
      message: `profile ${profileId} is open in a running browser; import when it is closed`,
      retryable: true,
    });
  }
  const launched = await launchChromium({ chromiumPath: o.chromiumPath, timeoutMs: o.timeoutMs, logger: o.logger, userDataDir: dir });
  try {
    const browser = await chromium.connectOverCDP(launched.wsUrl, { timeout: o.timeoutMs });
    await browser.contexts()[0]!.addCookies(cookies);
    // A polite Browser.close makes Chromium flush its cookie store to disk.
    const cdp = await browser.newBrowserCDPSession();
    await cdp.send('Browser.close').catch(() => undefined);
    await succeedsWithin(launched.closed, o.timeoutMs);
  } finally {
    await killChromium(launched, 1_000);
  }
  return { dir, imported: cookies.length, session: cookies.filter((c) => c.expires < 0).length };
}
