import {
  AuditPage, AuditQuery, ClientList, ClientParams, ClientView, ClientWithSecret, CreateClientRequest, DeletedClient, RotateClientSecretRequest,
  SigningKeyList, SigningKeyRotation, UpdateClientAppsRequest, UpdateClientScopesRequest,
} from './admin.js';
import type { RestRoute } from './rest-route.js';

/** The gateway's own administration: API clients and the JWT signing key (`clients:admin`), the audit log (`audit:read`). */
export const clientAdminRoutes: readonly RestRoute[] = [
  { method: 'get', path: '/v1/clients', summary: 'Every API client with its scopes and state (never a secret)', scope: 'clients:admin', response: ClientList },
  { method: 'post', path: '/v1/clients', summary: 'Create a client; its secret is generated and answered this once (stored hashed)', scope: 'clients:admin', body: CreateClientRequest, status: 201, response: ClientWithSecret },
  { method: 'get', path: '/v1/clients/{clientId}', summary: 'One client', scope: 'clients:admin', params: ClientParams, response: ClientView },
  { method: 'put', path: '/v1/clients/{clientId}/scopes', summary: 'Replace the client\'s scopes; removing one refuses the JWTs it already holds', scope: 'clients:admin', params: ClientParams, body: UpdateClientScopesRequest, response: ClientView },
  { method: 'post', path: '/v1/clients/{clientId}/secret/rotate', summary: 'A new secret (answered this once); the previous one keeps working for the overlap, then stops', scope: 'clients:admin', params: ClientParams, body: RotateClientSecretRequest, response: ClientWithSecret },
  { method: 'put', path: '/v1/clients/{clientId}/apps', summary: 'Limit the client\'s token reads to these apps (null: every app); a read outside them answers 403 APP_NOT_ALLOWED', scope: 'clients:admin', params: ClientParams, body: UpdateClientAppsRequest, response: ClientView },
  { method: 'post', path: '/v1/clients/{clientId}/disable', summary: 'Disable the client: its API key and every JWT it holds are refused at once, on every replica', scope: 'clients:admin', params: ClientParams, response: ClientView },
  { method: 'post', path: '/v1/clients/{clientId}/enable', summary: 'Enable a disabled client again', scope: 'clients:admin', params: ClientParams, response: ClientView },
  { method: 'delete', path: '/v1/clients/{clientId}', summary: 'Delete the client: its API key and JWTs are refused at once; BOOTSTRAP_CLIENTS can create it again', scope: 'clients:admin', params: ClientParams, response: DeletedClient },
  { method: 'get', path: '/v1/keys/signing', summary: 'The JWT signing keys and their states (next, active, retiring, retired)', scope: 'clients:admin', response: SigningKeyList },
  { method: 'post', path: '/v1/keys/signing/rotate', summary: 'Rotate the JWT signing key: the next key is published now and signs one JWKS cache period later; the old one verifies until its last token expired', scope: 'clients:admin', response: SigningKeyRotation },
  { method: 'get', path: '/v1/audit', summary: 'Audit events, newest first: token reads, login requests and every admin action, by client, account, action and time', scope: 'audit:read', query: AuditQuery, response: AuditPage },
];
