import { Router, type Request } from 'express';
import {
  DeadLetterActionRequest,
  DeadLetterFilter,
  DeadLetterIdParams,
  DeadLetterListQuery,
  DiscardDeadLettersRequest,
  ReplayDeadLettersRequest,
} from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

const BASE = '/internal/v1/dead-letters';

/** The dead-letter office's API (scope `dlq:admin`): validated here, answered there; every action names its client. */
export function deadLettersRoutes(deps: { deadLetters: InternalServiceClient }): Router {
  const router = Router();
  const office = deps.deadLetters;
  const ctx = (req: Request) => ({
    requestId: req.requestId,
    correlationId: logContext().correlationId ?? req.requestId,
    headers: { 'x-xauth-actor': req.principal!.clientId },
  });
  const query = (q: Record<string, unknown>) => {
    const params = new URLSearchParams(
      Object.entries(q)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    ).toString();
    return params ? `?${params}` : '';
  };

  router.use('/v1/dead-letters', requireScope('dlq:admin'));
  router.get('/v1/dead-letters', async (req, res) => {
    res.json(await office.get(`${BASE}${query(parseInput(DeadLetterListQuery, req.query, 'query'))}`, ctx(req)));
  });
  router.get('/v1/dead-letters/counts', async (req, res) => {
    res.json(await office.get(`${BASE}/counts${query(parseInput(DeadLetterFilter, req.query, 'query'))}`, ctx(req)));
  });
  router.get('/v1/dead-letters/:id', async (req, res) => {
    const { id } = parseInput(DeadLetterIdParams, req.params, 'path');
    res.json(await office.get(`${BASE}/${id}`, ctx(req)));
  });
  router.post('/v1/dead-letters/replay', async (req, res) => {
    res.json(await office.post(`${BASE}/replay`, parseInput(ReplayDeadLettersRequest, req.body, 'body'), ctx(req)));
  });
  router.post('/v1/dead-letters/discard', async (req, res) => {
    res.json(await office.post(`${BASE}/discard`, parseInput(DiscardDeadLettersRequest, req.body, 'body'), ctx(req)));
  });
  for (const action of ['replay', 'discard'] as const) {
    router.post(`/v1/dead-letters/:id/${action}`, async (req, res) => {
      const { id } = parseInput(DeadLetterIdParams, req.params, 'path');
      res.json(await office.post(`${BASE}/${id}/${action}`, parseInput(DeadLetterActionRequest, req.body, 'body'), ctx(req)));
    });
  }
  return router;
}
