import { createReadStream } from 'node:fs';
import { Router } from 'express';
import { ArtifactParams, ErrorCodes } from '@xauth/contracts';
import { NotFoundError, errorMessage, parseInput, requireInternalToken, type Logger } from '@xauth/shared';
import type { ArtifactStore } from '../../failure-artifacts/artifact-store.js';

export const ARTIFACTS_BASE = '/internal/v1/artifacts';

/**
 * Downloads of failure artifacts, for the gateway only (INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER). Served as
 * attachments that never run in a browser: a captured page is X's HTML, not ours.
 */
export function artifactsRoutes(deps: { store: ArtifactStore; internalToken: string; logger: Logger }): Router {
  const router = Router();
  router.use(ARTIFACTS_BASE, requireInternalToken(deps.internalToken));
  router.get(`${ARTIFACTS_BASE}/:jobId/:attempt/:file`, async (req, res, next) => {
    const params = parseInput(ArtifactParams, req.params, 'path');
    const name = `${params.jobId}/${params.attempt}/${params.file}`;
    const found = await deps.store.open(params);
    if (!found) throw new NotFoundError({ code: ErrorCodes.ARTIFACT_NOT_FOUND, message: `no artifact ${name}: never kept, or removed by retention` });
    res.set({
      'content-type': found.contentType,
      'content-length': String(found.size),
      'content-disposition': `attachment; filename="${params.jobId}-${params.attempt}-${params.file}"`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-store',
    });
    createReadStream(found.path)
      .once('error', (err) => {
        deps.logger.warn('could not read an artifact', { artifact: name, error: errorMessage(err) });
        if (res.headersSent) res.destroy(err);
        else next(err);
      })
      .pipe(res);
  });
  return router;
}
