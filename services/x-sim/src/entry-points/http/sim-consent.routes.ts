import express, { Router } from 'express';
import { z } from 'zod';
import { validateAuthorizeRequest } from '../../domain/authorize-request.rule.js';
import type { SimState } from '../../sim-state.js';

const consentBody = z.object({ authorizeUrl: z.url(), username: z.string().min(1) }).strict();

/**
 * `POST /_sim/consent`: consent given server-side, for benchmarks that need thousands of logins
 * without a browser each. The authorize URL a real job carries is checked as X's page checks it,
 * the user grants it, and the answer is the redirect (`redirect_uri?state=&code=`) a browser would
 * have been sent to; the code is X's ordinary single-use code. Scenarios, interstitials and the
 * session cookie are skipped: use the pages for those.
 */
export function simConsentRoutes(state: SimState): Router {
  const router = Router();
  router.post('/_sim/consent', express.json({ limit: '16kb' }), (req, res) => {
    const body = consentBody.parse(req.body ?? {});
    if (!state.users.user(body.username)) return void res.status(404).json({ message: 'Unknown user' });
    const query = Object.fromEntries(new URL(body.authorizeUrl).searchParams);
    const validation = validateAuthorizeRequest(query, state.options.apps);
    if (!validation.ok) return void res.status(400).json({ message: validation.reason });
    const { request } = validation;
    const code = state.tokens.issueCode(
      {
        clientId: request.app.clientId,
        redirectUri: request.redirectUri,
        scopes: request.scopes,
        codeChallenge: request.codeChallenge,
        codeChallengeMethod: request.codeChallengeMethod,
        username: body.username,
      },
      state.options.codeLifetimeSec,
    );
    state.statsStore.consentGranted();
    const target = new URL(request.redirectUri);
    target.searchParams.set('state', request.state);
    target.searchParams.set('code', code);
    res.json({ location: target.toString() });
  });
  return router;
}
