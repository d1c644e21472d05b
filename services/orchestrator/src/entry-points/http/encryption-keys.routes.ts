import { Router } from 'express';
import { ReencryptRequest } from '@xauth/contracts';
import { parseInput, requireInternalToken } from '@xauth/shared';
import type { OrchestratorDeps } from '../../domain/deps.js';
import { encryptionKeyUsage, reencryptSecrets } from '../../domain/use-cases/reencrypt-secrets.use-case.js';

/** Encryption keys at rest on the internal API: re-encrypt a page under the active key, rows per key id. */
export function encryptionKeysRoutes(deps: OrchestratorDeps, internalToken: string): Router {
  const router = Router();
  router.use('/internal/v1/keys/encryption', requireInternalToken(internalToken));
  router.post('/internal/v1/keys/encryption/reencrypt', async (req, res) => {
    const body = parseInput(ReencryptRequest, req.body ?? {}, 'body');
    deps.logger.info('re-encryption requested', { actor: req.get('x-xauth-actor'), continues: Boolean(body.after) });
    res.json(await reencryptSecrets(deps, body));
  });
  router.get('/internal/v1/keys/encryption/usage', async (_req, res) => {
    res.json(await encryptionKeyUsage(deps));
  });
  return router;
}
