import { Router } from 'express';
import { CreateLoginRequest } from '@xauth/contracts';
import { parseInput } from '@xauth/shared';
import { requestLogin, type PublishLogin } from '../../domain/request-login.use-case.js';
import { requireScope } from './auth.middleware.js';

/** `POST /v1/logins`: 202 once the broker has confirmed `user.login.requested`. */
export function loginsRoutes(deps: { publish: PublishLogin; defaultApp: string }): Router {
  const router = Router();
  router.post('/v1/logins', requireScope('logins:write'), async (req, res) => {
    const request = parseInput(CreateLoginRequest, req.body ?? {}, 'login request');
    res.status(202).json(await requestLogin({ request, correlationId: req.requestId }, deps));
  });
  return router;
}
