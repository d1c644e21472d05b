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

/** Which known page is showing, most specific first. */
export async function classifyPage(page: Page): Promise<PageKind> {
  const has = async (sel: string) => (await page.$(sel)) !== null;
  if (await has(SELECTORS.blocked)) return 'blocked';
  if (await has(SELECTORS.interstitial)) return 'interstitial';
  if (await has(SELECTORS.appError)) return 'app-error';
  if (await has(SELECTORS.locked)) return 'locked';
  if (await has(SELECTORS.login)) return 'login';
  if (await has(SELECTORS.consentButton)) return 'consent';
  return 'unknown';
}
