import { Router } from 'express';
import { ArtifactParams, ErrorCodes } from '@xauth/contracts';
import { NotFoundError, parseInput, requireInternalToken } from '@xauth/shared';
import type { ArtifactStore } from '../../failure-artifacts/artifact-store.js';

export const ARTIFACTS_BASE = '/internal/v1/artifacts';

/**
 * Downloads of failure artifacts, for the gateway only (INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER), from the store every
 * replica shares: any worker answers any name. Served as attachments that never run in a
 * browser: a captured page is X's HTML, not ours.
 */
export function artifactsRoutes(deps: { store: ArtifactStore; internalToken: string }): Router {
  const router = Router();
  router.use(ARTIFACTS_BASE, requireInternalToken(deps.internalToken));
  router.get(`${ARTIFACTS_BASE}/:jobId/:attempt/:file`, async (req, res) => {
    const params = parseInput(ArtifactParams, req.params, 'path');
    const found = await deps.store.get(params);
    if (!found)
      throw new NotFoundError({
        code: ErrorCodes.ARTIFACT_NOT_FOUND,
        message: `no artifact ${params.jobId}/${params.attempt}/${params.file}: never kept, or removed by retention`,
      });
    res.set({
      'content-type': found.contentType,
      'content-length': String(found.size),
      'content-disposition': `attachment; filename="${params.jobId}-${params.attempt}-${params.file}"`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-store',
    });
    res.end(found.bytes);
  });
  return router;
}
