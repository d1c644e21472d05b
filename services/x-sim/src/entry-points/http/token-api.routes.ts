import express, { Router, type Request, type Response } from 'express';
import { grantTokens, type GrantParams } from '../../domain/token-grant.use-case.js';
import type { SimState } from '../../sim-state.js';
import { authenticateClient, clientIdOf } from './client-auth.js';
import { faultGate } from './fault.middleware.js';
import { stringParam } from './http-helpers.js';

const FORM = 'application/x-www-form-urlencoded';

/** X's token and revoke endpoints: form bodies only, client authenticated as X does. */
export function tokenApiRoutes(state: SimState): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });

  router.post(
    '/2/oauth2/token',
    form,
    faultGate(state, 'token', (req) => tokenUser(state, req), clientIdOf),
    (req, res) => {
      if (!requireForm(req, res)) return;
      const client = authenticateClient(req, state.options.apps);
      if (!client.ok) return void res.status(client.status).json(client.body);
      const params: GrantParams = {};
      for (const name of ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token'] as const) {
        params[name] = stringParam(req.body, name);
      }
      const result = grantTokens(
        {
          tokens: state.tokens,
          scenarios: state.scenarios,
          lifetimeFor: (u) => state.tokenLifetimeFor(u),
          onIssued: () => state.statsStore.tokenIssued(),
        },
        client.app.clientId,
        params,
      );
      res
        .set('Cache-Control', 'no-store')
        .status(result.ok ? 200 : result.status)
        .json(result.body);
    },
  );

  router.post(
    '/2/oauth2/revoke',
    form,
    faultGate(state, 'token', (req) => tokenUser(state, req), clientIdOf),
    (req, res) => {
      if (!requireForm(req, res)) return;
      const client = authenticateClient(req, state.options.apps);
      if (!client.ok) return void res.status(client.status).json(client.body);
      const token = stringParam(req.body, 'token');
      if (!token) return void res.status(400).json({ error: 'invalid_request', error_description: 'Missing required parameter [token].' });
      const owner = state.tokens.peekAccess(token)?.clientId ?? state.tokens.peekRefresh(token)?.clientId;
      // RFC 7009: an unknown token or another client's token is answered as revoked, revealing nothing.
      if (owner === client.app.clientId) state.tokens.revoke(token);
      res.status(200).json({ revoked: true });
    },
  );

  return router;
}

function requireForm(req: Request, res: Response): boolean {
  if (req.is(FORM)) return true;
  res.status(400).json({ error: 'invalid_request', error_description: `Content-Type must be ${FORM}.` });
  return false;
}

function tokenUser(state: SimState, req: Request): string | undefined {
  const code = stringParam(req.body, 'code');
  const refresh = stringParam(req.body, 'refresh_token') ?? stringParam(req.body, 'token');
  return (
    (code && state.tokens.peekCode(code)?.username) ||
    (refresh && (state.tokens.peekRefresh(refresh)?.username ?? state.tokens.peekAccess(refresh)?.username)) ||
    undefined
  );
}
