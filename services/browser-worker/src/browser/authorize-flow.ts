import { chromium, type Browser, type Page } from 'playwright-core';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, BoundExceeded, TransientError, bounded, errorMessage, inSpan, type Logger } from '@xauth/shared';
import type { AttemptArtifacts } from '../failure-artifacts/artifact-store.js';
import { attachArtifacts } from '../failure-artifacts/error-artifacts.js';
import { pageFailures, readRedirect } from '../domain/page-outcomes.js';
import type { AuthorizeRequest, CapturedConsent } from '../domain/ports.js';
import { Recording, type TraceMode } from './failure-capture.js';
import { SELECTORS, classifyPage, type PageKind } from './page-recognizer.js';
import { catchRedirect } from './redirect-catcher.js';

export interface FlowTimeouts {
  stepMs: number;
  interstitialMs: number;
  /** Closing the page, and disconnecting from the browser, each. @defaultValue 5000 */
  closeMs?: number;
  /** Each failure artifact. @defaultValue 5000 */
  captureMs?: number;
}
export interface FlowObserver {
  interstitial?(cleared: boolean): void;
}
export interface FlowArtifacts {
  /** Where a failure's artifacts go, given the secrets they must not contain; none kept when absent. */
  into?(secrets: string[]): AttemptArtifacts | undefined;
  /** @defaultValue 'actions' */
  trace?: TraceMode;
}

const DEFAULT_BOUND_MS = 5_000;

/**
 * Drives the profile's own browser through X's consent: opens the authorize URL in the profile's
 * default context, waits out the interstitial, recognises what X shows, clicks "Authorize app" and
 * catches the redirect hop to `redirectUri` before it leaves the browser. A failure keeps a
 * screenshot, the HTML and a Playwright trace of the context when `artifacts.into` says where.
 */
export async function runAuthorizeFlow(
  req: AuthorizeRequest,
  t: FlowTimeouts,
  logger: Logger,
  observe: FlowObserver = {},
  artifacts: FlowArtifacts = {},
): Promise<CapturedConsent> {
  const left = () => req.deadline - Date.now();
  const closeMs = t.closeMs ?? DEFAULT_BOUND_MS;
  if (left() <= 0) throw pageFailures.timeout('before the browser was reached');
  let browser: Browser | undefined;
  let page: Page | undefined;
  let redirect: Awaited<ReturnType<typeof catchRedirect>> | undefined;
  // Each step bounded and never throwing. On a CDP-connected browser close only disconnects; the provider stops the profile itself.
  const disconnect = async (): Promise<void> => {
    if (browser) {
      await bounded(browser.close(), closeMs, 'disconnecting from the profile browser').catch((e: unknown) =>
        logger.debug('disconnecting from the profile browser', { error: errorMessage(e) }),
      );
    }
  };
  const tidyUp = async (): Promise<void> => {
    if (redirect) await bounded(redirect.dispose(), closeMs, 'detaching the redirect catcher').catch(() => undefined);
    if (page) {
      await bounded(page.close({ runBeforeUnload: false }), closeMs, 'closing the page').catch((e: unknown) =>
        logger.warn('the page did not close; moving on (the profile is stopped anyway)', { error: errorMessage(e) }),
      );
    }
    await disconnect();
  };
  try {
    browser = await inSpan('browser connect', {}, () => chromium.connectOverCDP(req.wsUrl, { timeout: Math.min(t.stepMs, left()) }));
    const context = browser.contexts()[0] ?? (await browser.newContext());
    // Tracing covers every page of the context, so the page need not wait for it (it is most of its cost).
    const [recording, opened] = await Promise.all([
      Recording.start(context, artifacts.trace ?? 'actions', Math.min(t.stepMs, left()), logger),
      context.newPage(),
    ]);
    page = opened;
    const crashed = new Promise<never>((_, reject) => {
      opened.once('crash', () => reject(pageFailures.crashed('page crashed')));
      browser!.once('disconnected', () => reject(pageFailures.crashed('CDP connection closed')));
    });
    crashed.catch(() => undefined);
    redirect = await catchRedirect(opened, req.redirectUri);
    const secrets = [new URL(req.authorizeUrl).searchParams.get('state') ?? ''];
    redirect.url.then(
      (url) => {
        for (const v of new URL(url).searchParams.values()) secrets.push(v);
      },
      () => undefined,
    );
    let consent: CapturedConsent;
    try {
      consent = await Promise.race([drive(opened, req, t, left, observe, redirect.url, documentStatus(opened)), crashed]);
    } catch (err) {
      const failure = toFlowFailure(err);
      const kept = await recording.keep(opened, artifacts.into?.(secrets), t.captureMs ?? DEFAULT_BOUND_MS);
      attachArtifacts(failure, kept);
      if (kept.length) logger.info('failure artifacts kept', { errorCode: failure instanceof AppError ? failure.code : undefined, artifacts: kept });
      throw failure;
    }
    // The code is the job's result and lives 30 s at X: it is handed over now, and the trace, the page
    // and the connection are tidied up off its path (the profile is released once they are).
    return {
      ...consent,
      tidy: async (browserKept) => {
        // The trace is dropped either way: stopping it is what removes its temporary directory.
        await recording.discard(closeMs);
        await (browserKept ? tidyUp() : disconnect());
      },
    };
  } catch (err) {
    await tidyUp();
    throw toFlowFailure(err);
  }
}

/** Playwright's errors as the stable failures DESIGN.md assigns; ours pass through unchanged. */
function toFlowFailure(err: unknown): unknown {
  if (err instanceof AppError || !(err instanceof Error)) return err;
  const first = err.message.split('\n')[0]!;
  if (err.name === 'TimeoutError') return pageFailures.timeout(`waiting for X: ${first}`);
  if (/Target.*closed|Browser has been closed|ECONNREFUSED|WebSocket/i.test(err.message)) return pageFailures.crashed(first);
  // The message goes on to name the URL (with its state): keep only the network error.
  const net = /net::ERR_[A-Z_]+/.exec(err.message);
  if (net) return new TransientError({ code: ErrorCodes.X_UNAVAILABLE, message: `X could not be reached (${net[0]})` });
  return err;
}

/** The HTTP status of the main frame's latest document (0 until one arrived). */
function documentStatus(page: Page): () => number {
  let status = 0;
  page.on('response', (r) => {
    try {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) status = r.status();
    } catch {
      /* a response without a frame (service worker) */
    }
  });
  return () => status;
}

async function drive(
  page: Page,
  req: AuthorizeRequest,
  t: FlowTimeouts,
  left: () => number,
  observe: FlowObserver,
  redirect: Promise<string>,
  status: () => number,
): Promise<CapturedConsent> {
  const captured = redirect.then(readRedirect);
  captured.catch(() => undefined);
  await inSpan('browser open authorize page', {}, () =>
    Promise.race([page.goto(req.authorizeUrl, { waitUntil: 'domcontentloaded', timeout: Math.min(t.stepMs, left()) }), captured]),
  );
  let sawInterstitial = false;
  for (let step = 0; step < 10; step++) {
    const kind = await inSpan('browser recognise page', { step }, async (span) => {
      const k = await Promise.race([recognise(page, Math.min(t.stepMs, left()), status), captured.then(() => 'captured' as const)]);
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
          return bounded(captured, Math.min(t.stepMs, left()), 'waiting for the redirect after consent').catch((err: unknown) => {
            throw err instanceof BoundExceeded ? pageFailures.timeout('waiting for the redirect after consent') : err;
          });
        });
      case 'blocked':
        throw pageFailures.blocked();
      case 'login':
        throw pageFailures.loginWall();
      case 'locked':
        throw pageFailures.locked();
      case 'app-error':
        throw pageFailures.appConfig();
      case 'unavailable':
        throw xUnavailable(status());
      case 'unknown':
        throw pageFailures.unrecognized(await page.title().catch(() => ''));
    }
  }
  throw pageFailures.unrecognized(await page.title().catch(() => ''));
}

function xUnavailable(status: number): AppError {
  return status === 429
    ? new TransientError({ code: ErrorCodes.X_RATE_LIMITED, message: 'X answered the authorize page with 429' })
    : new TransientError({ code: ErrorCodes.X_UNAVAILABLE, message: `X answered the authorize page with ${status}` });
}

/** What Playwright says when a document goes away under a query (a closed target is not among these). */
const PAGE_CHANGING = /context was destroyed|Cannot find context|Unable to adopt|navigat|Protocol error \(DOM\./i;

/** A document X served as an error, not a page of its own (its CDN's challenge pages are recognised first). */
const isHttpError = (status: number) => status === 429 || status >= 500;

/**
 * Waits until the page shows something known. A page can navigate between the wait and the look
 * (an interstitial clearing reloads it): a look that finds nothing, or whose document went away,
 * means the page is changing, so it looks again until the step's time is up. An unknown page
 * served with a 5xx or 429 is X being unavailable, said at once rather than after the step's time.
 */
async function recognise(page: Page, timeoutMs: number, status: () => number): Promise<PageKind | 'unavailable'> {
  const deadline = Date.now() + timeoutMs;
  const unknown = () => (isHttpError(status()) ? 'unavailable' : 'unknown');
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return unknown();
    try {
      const kind = await classifyPage(page);
      if (kind !== 'unknown') return kind;
      if (isHttpError(status())) return 'unavailable';
      // A locator's wait returns no handle: no adoption round trips, nothing left to dispose.
      await page.locator(SELECTORS.anyKnown).first().waitFor({ timeout: left, state: 'attached' });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') return unknown();
      if (!(err instanceof Error && PAGE_CHANGING.test(err.message))) throw err;
    }
  }
}

/** The challenge reloads the page once cleared; a captcha widget that never clears needs a person. */
async function waitOutInterstitial(page: Page, timeoutMs: number, observe: FlowObserver): Promise<void> {
  try {
    await page.locator(SELECTORS.interstitial).first().waitFor({ state: 'detached', timeout: timeoutMs });
  } catch (err) {
    if (!(err instanceof Error && err.name === 'TimeoutError')) throw err;
    observe.interstitial?.(false);
    if (await page.$(SELECTORS.captcha)) throw pageFailures.captcha();
    throw pageFailures.timeout(`waiting ${timeoutMs} ms for the interstitial to clear`);
  }
}
