import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ClientView, ClientWithSecret } from '@xauth/contracts';
import type { RunningGateway } from '../src/start.js';
import { bearer, cleanupNamespace, postJson, serviceToken, startGatewayWithStub, testNamespace, waitFor, type OrchestratorStub } from './helpers.js';

const ADMIN = { clientId: 'ops', clientSecret: 'ops-secret-0123456789', scopes: ['clients:admin'] };
const LIMITED = { clientId: 'limited', clientSecret: 'limited-secret-0123456789', scopes: ['tokens:read'], apps: ['xauth-dev'] };
const token = { accessToken: 'x-access', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), scopes: ['tweet.read'] };

describe('gateway: the edge (headers, the internal ops port, the token endpoint budget, app-scoped token reads)', () => {
  const namespace = testNamespace();
  let gateway: RunningGateway;
  let stub: OrchestratorStub;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    const started = await startGatewayWithStub(namespace, randomUUID(), {
      BOOTSTRAP_CLIENTS: JSON.stringify([ADMIN, LIMITED]),
      CLIENT_STATE_REFRESH_MS: '200',
      TOKEN_RATE_LIMIT_PER_CLIENT: '3',
      TOKEN_RATE_LIMIT_PER_IP: '1000',
    });
    ({ gateway, stub } = started);
    stop = started.stop;
    for (const app of ['xauth-dev', 'other-app']) stub.tokens.set(`alice_x/${app}`, { accountId: 'alice_x', app, ...token } as never);
  });
  after(async () => {
    await stop?.();
    await cleanupNamespace(namespace);
  });

  it('when any gateway route answers (open, authenticated, an error, a 404), then it carries nosniff, HSTS and a CSP; the console keeps its own stricter CSP', async () => {
    const answers = await Promise.all([
      fetch(`${gateway.url}/health`, { method: 'HEAD' }),
      fetch(`${gateway.url}/ready`, { method: 'HEAD' }),
      fetch(`${gateway.url}/.well-known/jwks.json`, { method: 'HEAD' }),
      fetch(`${gateway.url}/v1/jobs/${randomUUID()}`, { method: 'HEAD' }),
      fetch(`${gateway.url}/no-such-route`),
      fetch(`${gateway.url}/docs`),
      postJson(`${gateway.url}/v1/oauth/token`, { grant_type: 'client_credentials' }),
    ]);
    for (const res of answers) {
      expect(res.headers.get('x-content-type-options'), res.url).to.equal('nosniff');
      expect(res.headers.get('strict-transport-security'), res.url).to.match(/max-age=31536000/);
      expect(res.headers.get('content-security-policy'), res.url).to.contain("default-src 'self'").and.to.contain("frame-ancestors 'none'");
    }
    const console = await fetch(`${gateway.url}/console`);
    expect(console.headers.get('content-security-policy')).to.equal(
      "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
    );
    expect(console.headers.get('strict-transport-security')).to.match(/max-age=31536000/);
  });

  it('when /ready and /metrics are asked on the public port, then /ready says only ready and /metrics is not there; the internal port has both in full', async () => {
    expect(await (await fetch(`${gateway.url}/ready`)).json()).to.deep.equal({ status: 'ready' });
    expect((await fetch(`${gateway.url}/metrics`)).status).to.equal(404);
    const ready = (await (await fetch(`${gateway.metricsUrl}/ready`)).json()) as { checks: Record<string, boolean> };
    expect(ready.checks).to.deep.equal({ database: true, broker: true, orchestrator: true });
    expect(await (await fetch(`${gateway.metricsUrl}/metrics`)).text()).to.contain('xauth_gateway_authentications_total');
  });

  it('when one client id is tried beyond its budget, then 429 RATE_LIMITED before the secret is checked: an unknown client gets 429, not 401', async () => {
    const attempt = () =>
      postJson(`${gateway.url}/v1/oauth/token`, { grant_type: 'client_credentials', client_id: 'nobody-here', client_secret: 'guess-0123456789' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).status);
    expect(statuses).to.deep.equal([401, 401, 401, 429]);
    const refused = await attempt();
    expect(((await refused.json()) as { code: string }).code).to.equal('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(0);
    const metrics = await (await fetch(`${gateway.metricsUrl}/metrics`)).text();
    expect(metrics).to.match(/xauth_gateway_token_rate_limited_total\{[^}]*by="client"[^}]*\} [1-9]/);
    expect(await serviceToken(gateway.url, ADMIN.clientId, ADMIN.clientSecret), 'other clients keep their budget').to.be.a('string');
  });

  it('when a client limited to some apps reads a token of another app, then 403 APP_NOT_ALLOWED; its own app reads, and lifting the limit opens the other', async () => {
    const jwt = await serviceToken(gateway.url, LIMITED.clientId, LIMITED.clientSecret);
    const read = (app: string, auth = jwt) => fetch(`${gateway.url}/v1/accounts/alice_x/token?app=${app}`, { headers: bearer(auth) });
    expect((await read('xauth-dev')).status).to.equal(200);
    const refused = await read('other-app');
    expect(refused.status).to.equal(403);
    expect(((await refused.json()) as { code: string }).code).to.equal('APP_NOT_ALLOWED');
    expect(
      stub.calls.filter((c) => c.path.includes('other-app')),
      'the orchestrator was never asked',
    ).to.deep.equal([]);

    const admin = await serviceToken(gateway.url, ADMIN.clientId, ADMIN.clientSecret);
    const created = await postJson(`${gateway.url}/v1/clients`, { clientId: 'scoped', scopes: ['tokens:read'], apps: ['other-app'] }, bearer(admin));
    const body = (await created.json()) as ClientWithSecret;
    expect(body.client.apps).to.deep.equal(['other-app']);
    const scoped = await serviceToken(gateway.url, 'scoped', body.clientSecret);
    expect((await read('xauth-dev', scoped)).status).to.equal(403);
    expect((await read('other-app', scoped)).status).to.equal(200);

    const lifted = await fetch(`${gateway.url}/v1/clients/limited/apps`, {
      method: 'PUT',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ apps: null }),
    });
    expect(((await lifted.json()) as ClientView).apps).to.equal(null);
    await waitFor(async () => ((await read('other-app')).status === 200 ? true : undefined), 'the lifted limit to apply');
  });
});
