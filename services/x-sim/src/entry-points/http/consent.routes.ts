import express, { Router } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveXSession } from '../../domain/x-session.rule.js';
import { CONSENT_PATH, renderAuthorizeError } from '../../pages/x-web.page.js';
import type { SimState } from '../../sim-state.js';
import { faultGate } from './fault.middleware.js';
import { cookieOf, html, stringParam } from './http-helpers.js';

/** The consent form's answer: back to the app's redirect_uri with a code, or with access_denied. */
export function consentRoutes(state: SimState): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const gate = faultGate(state, 'authorize', (req) => resolveXSession(state.users, state.scenarios, cookieOf(req, 'auth_token')).profileOwner);

  router.post(CONSENT_PATH, form, gate, async (req, res) => {
    const consent = state.consents.take(stringParam(req.body, 'consent_id') ?? '');
    if (!consent) return void html(res, 200, renderAuthorizeError('consent expired or already answered'));
    const setting = state.scenarios.of(consent.profileOwner);
    if (setting.scenario === 'slow') await sleep(setting.latencyMs);

    const { request } = consent;
    const target = new URL(request.redirectUri);
    target.searchParams.set('state', request.state);
    if (stringParam(req.body, 'approval') === 'allow' && setting.scenario !== 'denies') {
      const code = state.tokens.issueCode(
        {
          clientId: request.app.clientId,
          redirectUri: request.redirectUri,
          scopes: request.scopes,
          codeChallenge: request.codeChallenge,
          codeChallengeMethod: request.codeChallengeMethod,
          username: consent.username,
        },
        state.options.codeLifetimeSec,
      );
      target.searchParams.set('code', code);
      state.statsStore.consentGranted();
    } else {
      target.searchParams.delete('state');
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('state', request.state);
    }
    res.redirect(302, target.toString());
  });

  return router;
}
