import { randomBytes } from 'node:crypto';
import { escapeHtml } from './layout.page.js';

export const CLEARANCE_PATH = '/cdn-cgi/challenge-platform/clear';

export type InterstitialMode = { kind: 'auto'; clearAfterMs: number } | { kind: 'captcha' };

/**
 * Cloudflare's "Just a moment..." challenge. In `auto` mode its script earns the cf_clearance
 * cookie after a delay and reloads, as the managed challenge does; a `captcha` never clears.
 */
export function renderInterstitial(host: string, mode: InterstitialMode): string {
  const clearer =
    mode.kind === 'auto'
      ? `<script>
setTimeout(function () {
  fetch(${JSON.stringify(CLEARANCE_PATH)}, { method: 'POST', credentials: 'same-origin' })
    .then(function (r) { if (r.ok) location.reload(); });
}, ${Math.max(0, Math.floor(mode.clearAfterMs))});
</script>`
      : '';
  const widget =
    mode.kind === 'captcha'
      ? '<div class="cf-turnstile" data-sitekey="0x4AAAAAAADnPIDROrmt1Wwj" style="width:300px;height:65px;border:1px solid #ccc">Verify you are human</div>'
      : '';
  return cloudflarePage(
    'Just a moment...',
    `
<h1 class="zone-name-title h1">${escapeHtml(host)}</h1>
<div id="challenge-running" class="h2">Checking your browser before accessing ${escapeHtml(host)}</div>
<div id="challenge-stage">${widget}</div>
<form id="challenge-form" action="${CLEARANCE_PATH}" method="POST">
<input type="hidden" name="cf-turnstile-response" value="">
</form>
<script>window._cf_chl_opt = { cType: ${JSON.stringify(mode.kind === 'auto' ? 'managed' : 'interactive')} };</script>
${clearer}`,
  );
}

export function renderBlocked(host: string): string {
  return cloudflarePage(
    'Attention Required! | Cloudflare',
    `
<div id="cf-error-details" class="cf-error-details-wrapper">
<h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<h2 class="cf-subheadline">You are unable to access ${escapeHtml(host)}</h2>
<p>Access denied. This website is using a security service to protect itself from online attacks.</p>
</div>`,
  );
}

function cloudflarePage(title: string, body: string): string {
  const rayId = randomBytes(8).toString('hex');
  return `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)}</title></head>
<body>
<div class="main-wrapper" role="main"><div class="main-content">${body}</div></div>
<div class="footer" role="contentinfo">Ray ID: <code>${rayId}</code> Performance &amp; security by Cloudflare</div>
</body>
</html>`;
}
