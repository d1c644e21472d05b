import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ClientView, ClientWithSecret } from '@xauth/contracts';
import { startGateway, type RunningGateway } from '../src/start.js';
import { bearer, capturingLogger, cleanupNamespace, gatewayConfig, postJson, serviceToken, startGatewayWithStub, testNamespace, waitFor } from './helpers.js';

const ADMIN = { clientId: 'ops', clientSecret: 'ops-secret-0123456789', scopes: ['clients:admin', 'audit:read'] };
const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['jobs:read', 'tokens:read'] };
// The token endpoint's budget is not under test here (the overlap test polls it).
const FAST = { CLIENT_STATE_REFRESH_MS: '200', TOKEN_RATE_LIMIT_PER_CLIENT: '100000', TOKEN_RATE_LIMIT_PER_IP: '100000' };

/** Calls the gateway as `token`; answers the status and the JSON body. */
async function call<T = unknown>(url: string, token: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function tokenStatus(gatewayUrl: string, clientId: string, clientSecret: string): Promise<number> {
  return (await postJson(`${gatewayUrl}/v1/oauth/token`, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })).status;
}

describe('gateway: clients managed by operators', () => {
  const namespace = testNamespace();
  const jobId = randomUUID();
  let a: RunningGateway;
  let b: RunningGateway;
  let stop: (() => Promise<void>) | undefined;
  let admin: string;
  const jobUrl = (g: RunningGateway) => `${g.url}/v1/jobs/${jobId}`;

  before(async () => {
    const env = { ...FAST, BOOTSTRAP_CLIENTS: JSON.stringify([ADMIN, READER]) };
    const started = await startGatewayWithStub(namespace, jobId, env);
    a = started.gateway;
    // A second replica on the same schema, in front of the same orchestrator.
    b = await startGateway(gatewayConfig(namespace, { ...env, ORCHESTRATOR_URL: started.stub.url }), { logger: capturingLogger().logger });
    stop = async () => {
      await b.stop();
      await started.stop();
    };
    admin = await serviceToken(a.url, ADMIN.clientId, ADMIN.clientSecret);
  });
  after(async () => {
    await stop?.();
  });

  it('when an operator disables a client, then its live JWT gets 401 on its next request, on this replica at once and on the other within a reload', async () => {
    const created = await call<ClientWithSecret>(`${a.url}/v1/clients`, admin, 'POST', { clientId: 'to-disable', scopes: ['jobs:read'] });
    expect(created.status).to.equal(201);
    const jwt = await serviceToken(a.url, 'to-disable', created.body.clientSecret);
    expect((await fetch(jobUrl(a), { headers: bearer(jwt) })).status).to.equal(200);
    expect((await fetch(jobUrl(b), { headers: bearer(jwt) })).status, 'a client created on another replica is found there').to.equal(200);

    const disabled = await call<ClientView>(`${a.url}/v1/clients/to-disable/disable`, admin, 'POST');
    expect(disabled.status).to.equal(200);
    expect(disabled.body.disabledAt).to.be.a('string');

    const refused = await fetch(jobUrl(a), { headers: bearer(jwt) });
    expect(refused.status).to.equal(401);
    expect(((await refused.json()) as { message: string }).message).to.match(/revoked/);
    await waitFor(async () => ((await fetch(jobUrl(b), { headers: bearer(jwt) })).status === 401 ? true : undefined), 'the other replica to refuse the JWT');
    expect(await tokenStatus(a.url, 'to-disable', created.body.clientSecret), 'no new token either').to.equal(401);

    await call(`${a.url}/v1/clients/to-disable/enable`, admin, 'POST');
    expect((await fetch(jobUrl(a), { headers: bearer(jwt) })).status, 'enabled again: its JWTs hold again').to.equal(200);
  });

  it('when a client is deleted, then its JWT and API key are refused and it is gone from the list', async () => {
    const created = await call<ClientWithSecret>(`${b.url}/v1/clients`, admin, 'POST', { clientId: 'to-delete', name: 'short-lived', scopes: ['jobs:read'] });
    const jwt = await serviceToken(b.url, 'to-delete', created.body.clientSecret);
    expect((await fetch(jobUrl(a), { headers: bearer(jwt) })).status).to.equal(200);
    expect((await call(`${b.url}/v1/clients/to-delete`, admin, 'DELETE')).body).to.deep.equal({ clientId: 'to-delete', deleted: true });
    expect((await fetch(jobUrl(b), { headers: bearer(jwt) })).status).to.equal(401);
    await waitFor(async () => ((await fetch(jobUrl(a), { headers: bearer(jwt) })).status === 401 ? true : undefined), 'the other replica to refuse the JWT');
    expect((await fetch(jobUrl(a), { headers: { 'x-api-key': `to-delete.${created.body.clientSecret}` } })).status).to.equal(401);
    const list = await call<{ clients: ClientView[] }>(`${a.url}/v1/clients`, admin);
    expect(list.body.clients.map((c) => c.clientId))
      .to.include.members(['ops', 'reader'])
      .and.not.include('to-delete');
    expect(JSON.stringify(list.body), 'no secret or hash in the list').to.not.match(/scrypt|secret"/);
    expect((await call<{ code: string }>(`${a.url}/v1/clients/to-delete`, admin)).body.code).to.equal('CLIENT_NOT_FOUND');
  });

  it('when a scope is taken away, then JWTs issued before are refused and new ones carry the new scopes', async () => {
    const created = await call<ClientWithSecret>(`${a.url}/v1/clients`, admin, 'POST', { clientId: 'narrowed', scopes: ['jobs:read', 'tokens:read'] });
    const before = await serviceToken(a.url, 'narrowed', created.body.clientSecret);
    const updated = await call<ClientView>(`${a.url}/v1/clients/narrowed/scopes`, admin, 'PUT', { scopes: ['jobs:read'] });
    expect(updated.body.scopes).to.deep.equal(['jobs:read']);
    expect((await fetch(jobUrl(a), { headers: bearer(before) })).status).to.equal(401);
    const after = await serviceToken(a.url, 'narrowed', created.body.clientSecret);
    expect((await fetch(jobUrl(a), { headers: bearer(after) })).status).to.equal(200);
    expect(await tokenStatus(a.url, 'narrowed', created.body.clientSecret)).to.equal(200);
    expect((await call(`${a.url}/v1/clients`, admin, 'POST', { clientId: 'narrowed', scopes: ['jobs:read'] })).status, 'an id is taken once').to.equal(409);
  });

  it('when a secret is rotated with an overlap, then old and new both work during it, and only the new one after', async () => {
    const created = await call<ClientWithSecret>(`${a.url}/v1/clients`, admin, 'POST', { clientId: 'rotating', scopes: ['jobs:read'] });
    const old = created.body.clientSecret;
    const rotated = await call<ClientWithSecret>(`${a.url}/v1/clients/rotating/secret/rotate`, admin, 'POST', { overlapSeconds: 10 });
    expect(rotated.status).to.equal(200);
    const fresh = rotated.body.clientSecret;
    expect(fresh).to.not.equal(old);
    expect(rotated.body.client.previousSecretExpiresAt).to.be.a('string');
    expect([await tokenStatus(a.url, 'rotating', old), await tokenStatus(b.url, 'rotating', fresh)]).to.deep.equal([200, 200]);
    expect((await fetch(jobUrl(b), { headers: { 'x-api-key': `rotating.${old}` } })).status).to.equal(200);

    await waitFor(async () => ((await tokenStatus(b.url, 'rotating', old)) === 401 ? true : undefined), 'the overlap to end', 40_000);
    expect((await fetch(jobUrl(b), { headers: { 'x-api-key': `rotating.${old}` } })).status).to.equal(401);
    expect(await tokenStatus(a.url, 'rotating', fresh)).to.equal(200);
    expect((await fetch(jobUrl(a), { headers: { 'x-api-key': `rotating.${fresh}` } })).status).to.equal(200);
  });
});

describe("gateway: bootstrap leaves operators' changes alone", () => {
  const namespace = testNamespace();
  const SVC = { clientId: 'svc', clientSecret: 'svc-secret-0123456789', scopes: ['jobs:read', 'tokens:read'] };
  const config = () => gatewayConfig(namespace, { BOOTSTRAP_CLIENTS: JSON.stringify([ADMIN, SVC]) });
  after(async () => {
    await cleanupNamespace(namespace);
  });

  it("when the gateway restarts with BOOTSTRAP_CLIENTS naming a client an operator disabled and narrowed, then it stays disabled with the operator's scopes", async () => {
    let gateway = await startGateway(config(), { logger: capturingLogger().logger });
    try {
      const admin = await serviceToken(gateway.url, ADMIN.clientId, ADMIN.clientSecret);
      await call(`${gateway.url}/v1/clients/svc/scopes`, admin, 'PUT', { scopes: ['jobs:read'] });
      const disabled = await call<ClientView>(`${gateway.url}/v1/clients/svc/disable`, admin, 'POST');
      expect(disabled.body.managedBy).to.equal('operator');
    } finally {
      await gateway.stop();
    }
    const { logger, lines } = capturingLogger();
    gateway = await startGateway(config(), { logger });
    try {
      expect(await tokenStatus(gateway.url, SVC.clientId, SVC.clientSecret), 'still disabled').to.equal(401);
      const admin = await serviceToken(gateway.url, ADMIN.clientId, ADMIN.clientSecret);
      const svc = await call<ClientView>(`${gateway.url}/v1/clients/svc`, admin);
      expect([svc.body.disabledAt !== null, svc.body.scopes, svc.body.managedBy]).to.deep.equal([true, ['jobs:read'], 'operator']);
      expect(lines.some((l) => l.includes('left as operators changed them') && l.includes('svc'))).to.equal(true);
      const ops = await call<ClientView>(`${gateway.url}/v1/clients/ops`, admin);
      expect(ops.body.managedBy, 'untouched clients still follow BOOTSTRAP_CLIENTS').to.equal('bootstrap');
    } finally {
      await gateway.stop();
    }
  });
});
