import { Router, type Request, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateAuthorizeRequest } from '../../domain/authorize-request.rule.js';
import { cloudflareVerdict } from '../../domain/cloudflare-gate.rule.js';
import { resolveXSession, type XSession } from '../../domain/x-session.rule.js';
import { CLEARANCE_PATH, renderBlocked, renderInterstitial } from '../../pages/cloudflare.page.js';
import { renderAuthorizeError, renderConsent, renderLockedAccount, renderLoginWall } from '../../pages/x-web.page.js';
import type { SimState } from '../../sim-state.js';
import { faultGate } from './fault.middleware.js';
import { cookieOf, html } from './http-helpers.js';

export const LOCKED_PATH = '/account/access';

/** X's authorize page behind Cloudflare, with the pages X shows instead of consent when it must. */
export function authorizePagesRoutes(state: SimState): Router {
  const router = Router();
  const sessionOf = (req: Request): XSession => resolveXSession(state.users, state.scenarios, cookieOf(req, 'auth_token'));
  const gate = faultGate(state, 'authorize', (req) => sessionOf(req).profileOwner);

  router.get('/i/oauth2/authorize', gate, async (req, res) => {
    state.statsStore.authorizePageViewed();
    const session = sessionOf(req);
    const setting = state.scenarios.of(session.profileOwner);
    if (setting.scenario === 'slow') await sleep(setting.latencyMs);
    if (!passCloudflare(state, req, res, session)) return;

    const validation = validateAuthorizeRequest(req.query as Record<string, unknown>, state.options.apps);
    if (!validation.ok) return void html(res, 200, renderAuthorizeError(validation.reason));
    if (!session.identity) return void html(res, 200, renderLoginWall());
    if (setting.scenario === 'locked') return void res.redirect(302, LOCKED_PATH);

    const consentId = state.consents.create(validation.request, session.identity.username, session.profileOwner!);
    html(
      res,
      200,
      renderConsent({
        appName: validation.request.app.name,
        scopes: validation.request.scopes,
        username: session.identity.username,
        displayName: session.identity.name,
        consentId,
      }),
    );
    if (setting.scenario === 'browser_crash') {
      const profile = state.users.profileOf(session.profileOwner!);
      res.once('finish', () => profile && state.browsers.crash(profile.id));
    }
  });

  router.post(CLEARANCE_PATH, (req, res) => {
    const verdict = state.scenarios.of(sessionOf(req).profileOwner).scenario;
    if (verdict === 'captcha' || verdict === 'blocked') return void res.status(403).json({ success: false });
    const clearance = randomBytes(24).toString('base64url');
    state.cfClearances.add(clearance);
    res.cookie('cf_clearance', clearance, { path: '/', httpOnly: true, sameSite: 'lax' }).json({ success: true });
  });

  router.get(LOCKED_PATH, async (req, res) => {
    const setting = state.scenarios.of(sessionOf(req).profileOwner);
    if (setting.scenario === 'slow') await sleep(setting.latencyMs);
    html(res, 200, renderLockedAccount());
  });

  return router;
}

function passCloudflare(state: SimState, req: Request, res: Response, session: XSession): boolean {
  const clearance = cookieOf(req, 'cf_clearance');
  const hasClearance = clearance !== undefined && state.cfClearances.has(clearance);
  const verdict = cloudflareVerdict(state.scenarios.of(session.profileOwner), state.options.interstitialMs, hasClearance);
  switch (verdict.kind) {
    case 'pass':
      return true;
    case 'blocked':
      html(res, 403, renderBlocked(req.hostname));
      return false;
    case 'captcha':
      html(res, 403, renderInterstitial(req.hostname, { kind: 'captcha' }));
      return false;
    case 'challenge':
      html(res, 403, renderInterstitial(req.hostname, { kind: 'auto', clearAfterMs: verdict.clearAfterMs }));
      return false;
  }
}
