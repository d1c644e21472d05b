import { SCOPE_LINES } from '../domain/scopes.rule.js';
import { escapeHtml, xPage } from './layout.page.js';

export const CONSENT_PATH = '/i/oauth2/authorize/consent';

/** X's generic authorize failure; `detail` is the simulator's own hint for whoever reads the page. */
export function renderAuthorizeError(detail: string): string {
  return xPage(
    'X / Error',
    `<main data-testid="OAuth_Error">
<h1>Something went wrong</h1>
<p>You weren't able to give access to the App. Please go back and try again.</p>
<p data-testid="error-detail">${escapeHtml(detail)}</p>
</main>`,
  );
}

export function renderLoginWall(): string {
  return xPage(
    'Log in to X / X',
    `<main data-testid="LoginForm">
<h1>Sign in to X</h1>
<form method="post" action="/i/flow/login" onsubmit="return false">
<label>Phone, email, or username <input name="text" type="text" autocomplete="username" autocapitalize="sentences" dir="auto"></label>
<button type="submit" data-testid="LoginForm_Login_Button">Next</button>
</form>
</main>`,
  );
}

export function renderLockedAccount(): string {
  return xPage(
    'Your account has been locked / X',
    `<main data-testid="LockedAccountPage">
<h1>Your account has been locked.</h1>
<p>We've temporarily limited some of your account features. Start to verify your identity and unlock your account.</p>
</main>`,
  );
}

export interface ConsentView {
  appName: string;
  scopes: string[];
  username: string;
  displayName: string;
  consentId: string;
}

export function renderConsent(v: ConsentView): string {
  const lines = v.scopes.map((s) => `<li data-scope="${escapeHtml(s)}">${escapeHtml(SCOPE_LINES[s] ?? s)}</li>`).join('\n');
  return xPage(
    'Authorize app / X',
    `<main data-testid="OAuth_Consent_Page">
<h1 data-testid="OAuth_Consent_Header"><span data-testid="OAuth_Consent_AppName">${escapeHtml(v.appName)}</span> wants to access your X account.</h1>
<div data-testid="OAuth_Consent_Account">
<span data-testid="OAuth_Consent_DisplayName">${escapeHtml(v.displayName)}</span>
<span data-testid="OAuth_Consent_UserName">@${escapeHtml(v.username)}</span>
</div>
<h2>Things this App can view and do</h2>
<ul data-testid="OAuth_Consent_Scopes">
${lines}
</ul>
<form method="post" action="${CONSENT_PATH}">
<input type="hidden" name="consent_id" value="${escapeHtml(v.consentId)}">
<button type="submit" name="approval" value="allow" data-testid="OAuth_Consent_Button">Authorize app</button>
<button type="submit" name="approval" value="deny" data-testid="OAuth_Consent_Cancel_Button">Cancel</button>
</form>
</main>`,
  );
}

/** What x.com serves while it is down. */
export function renderUnavailable(): string {
  return xPage(
    'X / Unavailable',
    `<main data-testid="ServiceUnavailable">
<h1>Something went wrong, but don't fret — it's not your fault.</h1>
<p>Try reloading.</p>
</main>`,
  );
}
