import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { ArtifactParams } from '@xauth/contracts';
import { logContext, parseInput } from '@xauth/shared';
import type { InternalServiceClient } from '../../data-access/internal-service.client.js';
import { requireScope } from './auth.middleware.js';

/** Headers of the browser-worker's answer that reach the caller; nothing else about it does. */
const PASSED_HEADERS = ['content-type', 'content-length', 'content-disposition', 'x-content-type-options', 'content-security-policy', 'cache-control'];

/** A failed attempt's screenshot, HTML or trace (scope `jobs:read`), streamed from the browser-worker that keeps them. */
export function artifactsRoutes(deps: { browserWorker: InternalServiceClient }): Router {
  const router = Router();
  router.get('/v1/jobs/:jobId/artifacts/:attempt/:file', requireScope('artifacts:read'), async (req, res) => {
    const { jobId, attempt, file } = parseInput(ArtifactParams, req.params, 'path');
    const found = await deps.browserWorker.download(`/internal/v1/artifacts/${jobId}/${attempt}/${file}`, {
      requestId: req.requestId,
      correlationId: logContext().correlationId ?? req.requestId,
    });
    for (const h of PASSED_HEADERS) {
      const v = found.headers.get(h);
      if (v !== null) res.setHeader(h, v);
    }
    await pipeline(Readable.fromWeb(found.body as import('node:stream/web').ReadableStream), res);
  });
  return router;
}
