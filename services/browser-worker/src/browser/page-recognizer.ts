import type { Page } from 'playwright-core';

/** Markers of what X and its CDN show; x-sim reproduces each. */
export const SELECTORS = {
  consentButton: '[data-testid="OAuth_Consent_Button"]',
  interstitial: '#challenge-running, #challenge-stage, input[name="cf-turnstile-response"]',
  captcha: '.cf-turnstile',
  blocked: 'h1:has-text("Sorry, you have been blocked")',
  login: '[data-testid="LoginForm"], input[name="text"][autocomplete="username"], [data-testid="LoginForm_Login_Button"]',
  locked: '[data-testid="LockedAccountPage"]',
  appError: 'h1:has-text("Something went wrong")',
  get anyKnown(): string {
    return [this.consentButton, this.interstitial, this.blocked, this.login, this.locked, this.appError].join(', ');
  },
} as const;

export type PageKind = 'consent' | 'interstitial' | 'blocked' | 'login' | 'locked' | 'app-error' | 'unknown';

/** The same markers as plain DOM checks, so one round trip (one trace action) tells the page apart. */
const MARKERS = {
  blocked: { css: 'h1', text: 'Sorry, you have been blocked' },
  interstitial: { css: SELECTORS.interstitial },
  appError: { css: 'h1', text: 'Something went wrong' },
  locked: { css: SELECTORS.locked },
  login: { css: SELECTORS.login },
  consent: { css: SELECTORS.consentButton },
};

/** Which known page is showing, most specific first. */
export async function classifyPage(page: Page): Promise<PageKind> {
  const found = await page.evaluate((markers) => {
    const shows = (m: { css: string; text?: string }) =>
      Array.from(document.querySelectorAll(m.css)).some((el) => m.text === undefined || (el.textContent ?? '').includes(m.text));
    return Object.entries(markers).find(([, m]) => shows(m))?.[0];
  }, MARKERS);
  switch (found) {
    case 'blocked':
      return 'blocked';
    case 'interstitial':
      return 'interstitial';
    case 'appError':
      return 'app-error';
    case 'locked':
      return 'locked';
    case 'login':
      return 'login';
    case 'consent':
      return 'consent';
    default:
      return 'unknown';
  }
}
