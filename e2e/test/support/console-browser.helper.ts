import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { killChromium, launchChromium, type LaunchedChromium } from '@xauth/shared/chromium';

const quiet = { debug: () => undefined, error: () => undefined };

/** Debian's Chromium showing the operator console, as an operator's browser would; `close` always ends it. */
export class ConsoleBrowser {
  private launched: LaunchedChromium | undefined;
  private browser: Browser | undefined;

  /** A fresh Chromium on `<gateway>/console`; the page and the answer that served it. */
  async open(gatewayUrl: string): Promise<{ page: Page; response: Response | null }> {
    this.launched = await launchChromium({ chromiumPath: '/usr/bin/chromium', timeoutMs: 30_000, logger: quiet });
    this.browser = await chromium.connectOverCDP(this.launched.wsUrl);
    const page = await this.browser.contexts()[0]!.newPage();
    const response = await page.goto(`${gatewayUrl}/console`);
    return { page, response };
  }

  /** Fills and sends the sign-in form (the development client unless told otherwise). */
  static async signIn(page: Page, clientId = 'dev-admin', clientSecret = 'dev-admin-secret'): Promise<void> {
    await page.fill('#client-id', clientId);
    await page.fill('#client-secret', clientSecret);
    await page.click('#sign-in-button');
  }

  async close(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    if (this.launched) await killChromium(this.launched, 2_000);
    this.browser = undefined;
    this.launched = undefined;
  }
}
