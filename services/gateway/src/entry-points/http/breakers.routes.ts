import { Router } from 'express';
import type { BreakersView } from '@xauth/contracts';
import { logContext } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

const SERVICES = ['orchestrator', 'browser-worker'] as const;

/**
 * `GET /v1/breakers` (scope `dlq:admin`, the operator's): the breakers the orchestrator and the
 * browser-worker keep, gathered; a service that does not answer is listed as unavailable, not an error.
 */
export function breakersRoutes(deps: { orchestrator: InternalServiceClient; browserWorker: InternalServiceClient }): Router {
  const router = Router();
  router.get('/v1/breakers', requireScope('dlq:admin'), async (req, res) => {
    const ctx = { requestId: req.requestId, correlationId: logContext().correlationId ?? req.requestId };
    const clients = { orchestrator: deps.orchestrator, 'browser-worker': deps.browserWorker };
    const answers = await Promise.allSettled(SERVICES.map((s) => clients[s].get('/internal/v1/breakers', ctx)));
    const view: BreakersView = { breakers: [], unavailable: [] };
    answers.forEach((a, i) => {
      const service = SERVICES[i]!;
      const list = a.status === 'fulfilled' ? (a.value as { breakers?: unknown }).breakers : undefined;
      if (Array.isArray(list)) view.breakers.push(...(list as BreakersView['breakers']).map((b) => ({ ...b, service })));
      else view.unavailable.push(service);
    });
    res.set('cache-control', 'no-store').json(view);
  });
  return router;
}
