import { Router } from 'express';
import type { SimState } from '../../sim-state.js';
import { faultGate } from './fault.middleware.js';
import { bearerOf } from './http-helpers.js';

const UNAUTHORIZED = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' };

/** GET /2/users/me: who the access token belongs to. */
export function usersMeRoutes(state: SimState): Router {
  const router = Router();
  const userOfToken = (token: string | undefined): string | undefined => (token === undefined ? undefined : state.tokens.peekAccess(token)?.username);

  router.get(
    '/2/users/me',
    faultGate(state, 'me', (req) => userOfToken(bearerOf(req))),
    (req, res) => {
      const token = bearerOf(req);
      const grant = token === undefined ? undefined : state.tokens.activeAccess(token);
      const user = grant && state.users.user(grant.username);
      if (!user) return void res.status(401).type('application/problem+json').send(JSON.stringify(UNAUTHORIZED));
      res.json({ data: { id: user.id, name: user.name, username: user.username } });
    },
  );

  return router;
}
