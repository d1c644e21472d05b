import type { CDPSession, Page } from 'playwright-core';

/** CDP URL patterns treat `*`, `?` and `\` as special. */
function cdpPattern(prefix: string): string {
  return `${prefix.replace(/[\\*?]/g, (c) => `\\${c}`)}*`;
}

/**
 * Catches the browser's request to `redirectUri` (a redirect hop from X's consent) and fails it
 * inside Chromium, so the code never leaves the browser. CDP's Fetch domain pauses redirect hops
 * too, where Playwright's `page.route` does not; and no time is spent on a failed navigation.
 */
export async function catchRedirect(page: Page, redirectUri: string): Promise<{ url: Promise<string>; dispose(): Promise<void> }> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const url = new Promise<string>((resolve) => {
    cdp.on('Fetch.requestPaused', (e: { requestId: string; request: { url: string } }) => {
      // Abort first: the request must not reach the network even if resolving is slow.
      void cdp.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'Aborted' }).catch(() => undefined);
      if (e.request.url.startsWith(redirectUri)) resolve(e.request.url);
    });
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: cdpPattern(redirectUri), requestStage: 'Request' }] });
  return { url, dispose: () => cdp.detach().catch(() => undefined) };
}
