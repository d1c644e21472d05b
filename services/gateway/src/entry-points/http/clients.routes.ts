import { Router } from 'express';
import { ClientParams, CreateClientRequest, RotateClientSecretRequest, UpdateClientAppsRequest, UpdateClientScopesRequest } from '@xauth/contracts';
import { parseInput } from '@xauth/shared';
import type { ClientAdmin } from '../../domain/manage-clients.use-case.js';
import { requireScope } from './auth.middleware.js';

/** API clients (scope `clients:admin`). Secrets are answered once, on create and rotate, and never cached. */
export function clientsRoutes(deps: { clientAdmin: ClientAdmin }): Router {
  const router = Router();
  const admin = () => deps.clientAdmin;
  const clientId = (params: unknown) => parseInput(ClientParams, params, 'path').clientId;
  router.use('/v1/clients', requireScope('clients:admin'), (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.get('/v1/clients', async (_req, res) => {
    res.json({ clients: await admin().list() });
  });
  router.post('/v1/clients', async (req, res) => {
    res.status(201).json(await admin().create(parseInput(CreateClientRequest, req.body ?? {}, 'body')));
  });
  router.get('/v1/clients/:clientId', async (req, res) => {
    res.json(await admin().get(clientId(req.params)));
  });
  router.put('/v1/clients/:clientId/scopes', async (req, res) => {
    const id = clientId(req.params);
    res.json(await admin().setScopes(id, parseInput(UpdateClientScopesRequest, req.body ?? {}, 'body').scopes));
  });
  router.put('/v1/clients/:clientId/apps', async (req, res) => {
    const id = clientId(req.params);
    res.json(await admin().setApps(id, parseInput(UpdateClientAppsRequest, req.body ?? {}, 'body').apps));
  });
  router.post('/v1/clients/:clientId/secret/rotate', async (req, res) => {
    const id = clientId(req.params);
    res.json(await admin().rotateSecret(id, parseInput(RotateClientSecretRequest, req.body ?? {}, 'body').overlapSeconds));
  });
  router.post('/v1/clients/:clientId/disable', async (req, res) => {
    res.json(await admin().setDisabled(clientId(req.params), true));
  });
  router.post('/v1/clients/:clientId/enable', async (req, res) => {
    res.json(await admin().setDisabled(clientId(req.params), false));
  });
  router.delete('/v1/clients/:clientId', async (req, res) => {
    res.json(await admin().delete(clientId(req.params)));
  });
  return router;
}
