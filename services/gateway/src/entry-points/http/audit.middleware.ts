import type { RequestHandler } from 'express';
import { restRoutes } from '@xauth/contracts';
import type { AuditLog } from '../../domain/audit-log.js';
import { auditOutcome, auditedRoutes, matchAudited } from '../../domain/audit-actions.rule.js';

const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,200}$/;
const field = (v: unknown): string | null => (typeof v === 'string' && IDENTIFIER.test(v) ? v : null);

/**
 * Records each audited request (token reads, login requests, every documented route that changes
 * something) when its answer is done: one route match and one push onto the audit buffer, nothing
 * awaited. Mounted before authentication, so refused callers are recorded too (client id null when
 * no credentials held).
 */
export function auditTrail(deps: { audit: AuditLog; defaultApp: string }): RequestHandler {
  const routes = auditedRoutes(restRoutes);
  return (req, res, next) => {
    const path = req.originalUrl.split('?', 1)[0]!;
    const hit = matchAudited(routes, req.method, path);
    if (hit) {
      const at = new Date();
      res.once('close', () => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const readsToken = hit.route.action === 'token.read' || hit.route.action === 'login.request';
        const { accountId, app, ...others } = hit.params;
        deps.audit.record({
          at,
          clientId: req.principal?.clientId ?? null,
          action: hit.route.action,
          route: `${hit.route.method} ${hit.route.template}`,
          accountId: field(accountId ?? body.accountId),
          app: field(app ?? req.query.app ?? body.app) ?? (readsToken ? deps.defaultApp : null),
          target: field(Object.values(others)[0] ?? body.clientId),
          status: res.statusCode,
          outcome: auditOutcome(res.statusCode),
          requestId: req.requestId ?? null,
        });
      });
    }
    next();
  };
}
