import { chromium, type Browser, type Page } from 'playwright-core';
import { errorMessage, inSpan, type Logger } from '@xauth/shared';
import { pageFailures, readRedirect } from '../domain/page-outcomes.js';
import type { AuthorizeRequest, CapturedConsent } from '../domain/ports.js';
import { SELECTORS, classifyPage, type PageKind } from './page-recognizer.js';
import { catchRedirect } from './redirect-catcher.js';

export interface FlowTimeouts { stepMs: number; interstitialMs: number }
export interface FlowObserver { interstitial?(cleared: boolean): void }

/**
 * Drives the profile's own browser through X's consent: opens the authorize URL in the profile's
 * default context, waits out the interstitial, recognises what X shows, clicks "Authorize app" and
 * catches the redirect hop to `redirectUri` before it leaves the browser.
 */
export async function runAuthorizeFlow(req: AuthorizeRequest, t: FlowTimeouts, logger: Logger, observe: FlowObserver = {}): Promise<CapturedConsent> {
  const left = () => req.deadline - Date.now();
  if (left() <= 0) throw pageFailures.timeout('before the browser was reached');
  let browser: Browser | undefined;
  try {
    browser = await inSpan('browser connect', {}, () => chromium.connectOverCDP(req.wsUrl, { timeout: Math.min(t.stepMs, left()) }));
    const context = browser.contexts()[0] ?? (await browser.newContext());
    const page = await context.newPage();
    const crashed = new Promise<never>((_, reject) => {
      page.once('crash', () => reject(pageFailures.crashed('page crashed')));
      browser!.once('disconnected', () => reject(pageFailures.crashed('CDP connection closed')));
    });
    crashed.catch(() => undefined);
    const redirect = await catchRedirect(page, req.redirectUri);
    try {
      return await Promise.race([drive(page, req, t, left, observe, redirect.url), crashed]);
    } finally {
      await redirect.dispose();
      await page.close({ runBeforeUnload: false }).catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') throw pageFailures.timeout(`waiting for X: ${err.message.split('\n')[0]}`);
    if (err instanceof Error && /Target.*closed|Browser has been closed|ECONNREFUSED|WebSocket/i.test(err.message)) throw pageFailures.crashed(err.message.split('\n')[0]!);
    throw err;
  } finally {
    // On a CDP-connected browser this only disconnects; the provider stops the profile itself.
    await browser?.close().catch((e: unknown) => logger.debug('disconnecting from the profile browser', { error: errorMessage(e) }));
  }
}

async function drive(page: Page, req: AuthorizeRequest, t: FlowTimeouts, left: () => number, observe: FlowObserver, redirect: Promise<string>): Promise<CapturedConsent> {
  const captured = redirect.then(readRedirect);
  captured.catch(() => undefined);
  await inSpan('browser open authorize page', {}, () => Promise.race([page.goto(req.authorizeUrl, { waitUntil: 'domcontentloaded', timeout: Math.min(t.stepMs, left()) }), captured]));
  let sawInterstitial = false;
  for (let step = 0; step < 10; step++) {
    const kind = await inSpan('browser recognise page', { step }, async (span) => {
      const k = await Promise.race([recognise(page, Math.min(t.stepMs, left())), captured.then(() => 'captured' as const)]);
      span.setAttribute('xauth.page', k);
      return k;
    });
    if (kind === 'captured') return captured;
    switch (kind) {
      case 'interstitial':
        sawInterstitial = true;
        await inSpan('browser wait out interstitial', {}, () => waitOutInterstitial(page, Math.min(t.interstitialMs, left()), observe));
        continue;
      case 'consent':
        if (sawInterstitial) observe.interstitial?.(true);
        return await inSpan('browser consent', {}, async () => {
          await page.click(SELECTORS.consentButton, { timeout: Math.min(t.stepMs, left()), noWaitAfter: true });
          return withTimeout(captured, Math.min(t.stepMs, left()), 'waiting for the redirect after consent');
        });
      case 'blocked': throw pageFailures.blocked();
      case 'login': throw pageFailures.loginWall();
      case 'locked': throw pageFailures.locked();
      case 'app-error': throw pageFailures.appConfig();
      case 'unknown': throw pageFailures.unrecognized(await page.title().catch(() => ''));
    }
  }
  throw pageFailures.unrecognized(await page.title().catch(() => ''));
}

/** What Playwright says when a document goes away under a query (a closed target is not among these). */
const PAGE_CHANGING = /context was destroyed|Cannot find context|Unable to adopt|navigat|Protocol error \(DOM\./i;

/**
 * Waits until the page shows something known. A page can navigate between the wait and the look
 * (an interstitial clearing reloads it): a look that finds nothing, or whose document went away,
 * means the page is changing, so it looks again until the step's time is up.
 */
async function recognise(page: Page, timeoutMs: number): Promise<PageKind> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return 'unknown';
    try {
      await page.waitForSelector(SELECTORS.anyKnown, { timeout: left, state: 'attached' });
      const kind = await classifyPage(page);
      if (kind !== 'unknown') return kind;
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') return 'unknown';
      if (!(err instanceof Error && PAGE_CHANGING.test(err.message))) throw err;
    }
  }
}

/** The challenge reloads the page once cleared; a captcha widget that never clears needs a person. */
async function waitOutInterstitial(page: Page, timeoutMs: number, observe: FlowObserver): Promise<void> {
  try {
    await page.waitForSelector(SELECTORS.interstitial, { state: 'detached', timeout: timeoutMs });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'TimeoutError')) throw err;
    observe.interstitial?.(false);
    if (await page.$(SELECTORS.captcha)) throw pageFailures.captcha();
    throw pageFailures.timeout(`waiting ${timeoutMs} ms for the interstitial to clear`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, step: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(pageFailures.timeout(step)), ms); })])
    .finally(() => clearTimeout(timer));
}
