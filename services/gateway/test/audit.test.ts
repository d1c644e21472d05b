import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { DataSource } from 'typeorm';
import type { AuditEventView, AuditPage } from '@xauth/contracts';
import { schemaName } from '@xauth/shared';
import { DATABASE_URL, bearer, postJson, serviceToken, startGatewayWithStub, testNamespace, waitFor } from './helpers.js';

const AUDITOR = { clientId: 'auditor', clientSecret: 'auditor-secret-0123456789', scopes: ['audit:read', 'clients:admin'] };
const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['tokens:read', 'logins:write'] };
const OTHER = { clientId: 'other', clientSecret: 'other-secret-0123456789', scopes: ['jobs:read'] };

describe('gateway: the audit log', () => {
  const namespace = testNamespace();
  let gatewayUrl: string;
  let stop: (() => Promise<void>) | undefined;
  let auditor: string;
  let ds: DataSource;

  before(async () => {
    const started = await startGatewayWithStub(namespace, randomUUID(), {
      BOOTSTRAP_CLIENTS: JSON.stringify([AUDITOR, READER, OTHER]),
      AUDIT_FLUSH_MS: '50',
      AUDIT_RETENTION_MS: '60000',
      AUDIT_PRUNE_INTERVAL_MS: '200',
    });
    started.stub.tokens.set('alice_x/xauth-dev', {
      accessToken: 'x-access-alice',
      tokenType: 'bearer',
      scopes: 'tweet.read',
      expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    gatewayUrl = started.gateway.url;
    stop = started.stop;
    auditor = await serviceToken(gatewayUrl, AUDITOR.clientId, AUDITOR.clientSecret);
    ds = new DataSource({ type: 'postgres', url: DATABASE_URL });
    await ds.initialize();
  });
  after(async () => {
    await ds?.destroy();
    await stop?.();
  });

  const table = () => `"${schemaName(namespace, 'gateway')}".audit_events`;
  const audit = async (query: Record<string, string>): Promise<AuditEventView[]> => {
    const res = await fetch(`${gatewayUrl}/v1/audit?${new URLSearchParams(query)}`, { headers: bearer(auditor) });
    expect(res.status).to.equal(200);
    return ((await res.json()) as AuditPage).events;
  };

  it('when a client reads a token, then the audit shows the read by client id, account, app and outcome; a refused read too', async () => {
    const reader = await serviceToken(gatewayUrl, READER.clientId, READER.clientSecret);
    const other = await serviceToken(gatewayUrl, OTHER.clientId, OTHER.clientSecret);
    const read = await fetch(`${gatewayUrl}/v1/accounts/alice_x/token`, { headers: bearer(reader) });
    expect(read.status).to.equal(200);
    expect((await fetch(`${gatewayUrl}/v1/accounts/alice_x/token`, { headers: bearer(other) })).status).to.equal(403);

    const [event] = await waitFor(async () => {
      const found = await audit({ clientId: 'reader', action: 'token.read' });
      return found.length ? found : undefined;
    }, 'the token read in the audit');
    expect(event).to.include({
      clientId: 'reader',
      action: 'token.read',
      accountId: 'alice_x',
      app: 'xauth-dev',
      status: 200,
      outcome: 'ok',
      route: 'GET /v1/accounts/{accountId}/token',
    });
    expect(event!.requestId).to.equal(read.headers.get('x-request-id'));
    const denied = await waitFor(async () => (await audit({ clientId: 'other' }))[0], 'the refused read');
    expect(denied).to.include({ action: 'token.read', outcome: 'denied', status: 403, accountId: 'alice_x' });
    expect(JSON.stringify(await audit({})), 'the token itself is never audited').to.not.contain('x-access-alice');
  });

  it('when a login is asked for and an admin acts, then both are audited and can be filtered by action and time', async () => {
    const from = new Date(Date.now() - 1_000).toISOString();
    const reader = await serviceToken(gatewayUrl, READER.clientId, READER.clientSecret);
    expect((await postJson(`${gatewayUrl}/v1/logins`, { accountId: 'bob_x' }, bearer(reader))).status).to.equal(202);
    expect((await fetch(`${gatewayUrl}/v1/clients/other/disable`, { method: 'POST', headers: bearer(auditor) })).status).to.equal(200);

    const login = await waitFor(async () => (await audit({ action: 'login.request', from }))[0], 'the login request in the audit');
    expect(login).to.include({ clientId: 'reader', accountId: 'bob_x', app: 'xauth-dev', outcome: 'ok', status: 202 });
    const disable = await waitFor(async () => (await audit({ clientId: 'auditor', action: 'clients.disable' }))[0], 'the disable in the audit');
    expect(disable).to.include({ target: 'other', outcome: 'ok', route: 'POST /v1/clients/{clientId}/disable' });
    expect(await audit({ action: 'clients.disable', to: from })).to.deep.equal([]);
  });

  it('when events are older than AUDIT_RETENTION_MS, then the pruner deletes them and keeps the recent ones', async () => {
    await ds.query(
      `INSERT INTO ${table()} (at, client_id, action, route, status, outcome) VALUES (now() - interval '2 minutes', 'ancient', 'token.read', 'GET /v1/accounts/{accountId}/token', 200, 'ok')`,
    );
    await waitFor(
      async () => (((await ds.query(`SELECT 1 FROM ${table()} WHERE client_id = 'ancient'`)) as unknown[]).length === 0 ? true : undefined),
      'the old event to be pruned',
    );
    expect((await audit({ clientId: 'reader' })).length).to.be.greaterThan(0);
  });
});
