import { chromium } from 'playwright-core';

/** Signs a freshly started Chromium in to X by putting the profile's session cookie in its default context. */
export async function seedSessionCookie(wsUrl: string, domain: string, sessionToken: string, timeoutMs: number): Promise<void> {
  const browser = await chromium.connectOverCDP(wsUrl, { timeout: timeoutMs });
  try {
    await browser.contexts()[0].addCookies([{ name: 'auth_token', value: sessionToken, domain, path: '/', httpOnly: true, secure: false, sameSite: 'Lax' }]);
  } finally {
    // On a connectOverCDP browser, close() only disconnects: Chromium and its cookies stay.
    await browser.close();
  }
}
