import { Router } from 'express';
import { AuditQuery, type AuditPage } from '@xauth/contracts';
import { parseInput } from '@xauth/shared';
import { requireScope } from './auth.middleware.js';

/** `GET /v1/audit` (scope `audit:read`): newest first, by client, account, action and time. */
export function auditRoutes(deps: { auditEvents: { query(q: AuditQuery): Promise<AuditPage> } }): Router {
  const router = Router();
  router.get('/v1/audit', requireScope('audit:read'), async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await deps.auditEvents.query(parseInput(AuditQuery, req.query, 'query')));
  });
  return router;
}
