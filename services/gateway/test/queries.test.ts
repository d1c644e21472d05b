import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { startGateway, type RunningGateway } from '../src/start.js';
import {
  INTERNAL_TOKEN,
  bearer,
  capturingLogger,
  cleanupNamespace,
  deadUrl,
  gatewayConfig,
  sampleJob,
  serviceToken,
  startOrchestratorStub,
  testNamespace,
  type OrchestratorStub,
} from './helpers.js';

const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['jobs:read', 'tokens:read'] };

interface ErrorJson {
  code: string;
  message: string;
  requestId: string;
}

describe('gateway: queries routed to the orchestrator', () => {
  const namespace = testNamespace();
  const { logger, lines } = capturingLogger();
  let stub: OrchestratorStub;
  let gateway: RunningGateway;
  let token: string;
  const jobId = randomUUID();
  const accessToken = `x-access-${randomUUID()}`;

  before(async () => {
    stub = await startOrchestratorStub();
    stub.jobs.set(jobId, sampleJob(jobId));
    stub.tokens.set('alice_x/xauth-dev', {
      accessToken,
      tokenType: 'bearer',
      scopes: 'tweet.read users.read offline.access',
      expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    stub.tokens.set('alice_x/other-app', {
      accessToken: 'x-access-other',
      tokenType: 'bearer',
      scopes: 'tweet.read',
      expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    gateway = await startGateway(
      gatewayConfig(namespace, {
        ORCHESTRATOR_URL: stub.url,
        ORCHESTRATOR_TIMEOUT_MS: '500',
        BOOTSTRAP_CLIENTS: JSON.stringify([READER]),
      }),
      { logger },
    );
    token = await serviceToken(gateway.url, READER.clientId, READER.clientSecret);
  });
  afterEach(() => {
    stub.state.hang = false;
    stub.state.expectedToken = INTERNAL_TOKEN;
  });
  after(async () => {
    await gateway?.stop();
    await stub?.close();
    await cleanupNamespace(namespace);
  });

  it('when a job is read, then the orchestrator answer passes through and the call carries the internal token and the ids', async () => {
    const res = await fetch(`${gateway.url}/v1/jobs/${jobId}`, { headers: { ...bearer(token), 'x-correlation-id': 'corr-123' } });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal(stub.jobs.get(jobId));
    const call = stub.calls.at(-1)!;
    expect(call).to.deep.equal({
      path: `/internal/v1/jobs/${jobId}`,
      authorization: `Bearer ${INTERNAL_TOKEN}`,
      requestId: res.headers.get('x-request-id'),
      correlationId: 'corr-123',
    });
  });

  it('when the orchestrator answers an error, then its status, code and message pass through with the gateway request id', async () => {
    const unknown = randomUUID();
    const res = await fetch(`${gateway.url}/v1/jobs/${unknown}`, { headers: bearer(token) });
    expect(res.status).to.equal(404);
    expect(await res.json()).to.deep.equal({ code: 'UNKNOWN_JOB', message: `no job ${unknown}`, requestId: res.headers.get('x-request-id') });
  });

  it('when the job id is not a uuid, then 400 and the orchestrator is not called', async () => {
    const calls = stub.calls.length;
    const res = await fetch(`${gateway.url}/v1/jobs/not-a-uuid`, { headers: bearer(token) });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as ErrorJson).code).to.equal('VALIDATION_FAILED');
    expect(stub.calls.length).to.equal(calls);
  });

  it('when a token is read, then it passes through with Cache-Control: no-store, for the default app unless one is named', async () => {
    const res = await fetch(`${gateway.url}/v1/accounts/alice_x/token`, { headers: bearer(token) });
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(await res.json()).to.deep.equal(stub.tokens.get('alice_x/xauth-dev'));
    expect(stub.calls.at(-1)).to.include({ path: '/internal/v1/tokens/read', authorization: `Bearer ${INTERNAL_TOKEN}` });
    expect(stub.calls.at(-1)!.reads).to.deep.equal([{ accountId: 'alice_x', app: 'xauth-dev' }]);

    const other = await fetch(`${gateway.url}/v1/accounts/alice_x/token?app=other-app`, { headers: bearer(token) });
    expect(((await other.json()) as { accessToken: string }).accessToken).to.equal('x-access-other');
  });

  it('when many tokens are read at once, then they reach the orchestrator as one request and each read gets its own answer', async () => {
    const calls = stub.calls.length;
    const accounts = ['alice_x', 'nobody_x', 'alice_x', 'nobody_y'];
    const answers = await Promise.all(
      accounts.map(async (a) => {
        const res = await fetch(`${gateway.url}/v1/accounts/${a}/token`, { headers: bearer(token) });
        return { status: res.status, body: (await res.json()) as { accessToken?: string; code?: string } };
      }),
    );
    expect(answers.map((a) => a.status)).to.deep.equal([200, 404, 200, 404]);
    expect(answers.map((a) => a.body.accessToken ?? a.body.code)).to.deep.equal([accessToken, 'TOKEN_NOT_FOUND', accessToken, 'TOKEN_NOT_FOUND']);
    const batches = stub.calls.slice(calls);
    expect(
      batches.flatMap((c) => c.reads ?? []),
      'every read reached the orchestrator once',
    ).to.have.lengthOf(4);
    expect(batches.length, 'fewer requests than reads').to.be.below(4);
  });

  it('when no token exists, then the 404 passes through, still no-store', async () => {
    const res = await fetch(`${gateway.url}/v1/accounts/nobody_x/token`, { headers: bearer(token) });
    expect(res.status).to.equal(404);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(((await res.json()) as ErrorJson).code).to.equal('TOKEN_NOT_FOUND');
  });

  it('when the account id or app is malformed, then 400 and the orchestrator is not called', async () => {
    const calls = stub.calls.length;
    expect((await fetch(`${gateway.url}/v1/accounts/${'a'.repeat(16)}/token`, { headers: bearer(token) })).status).to.equal(400);
    expect((await fetch(`${gateway.url}/v1/accounts/alice_x/token?app=Bad_App`, { headers: bearer(token) })).status).to.equal(400);
    expect(stub.calls.length).to.equal(calls);
  });

  it('when the orchestrator does not answer in time, then 504 UPSTREAM_UNAVAILABLE', async () => {
    stub.state.hang = true;
    const res = await fetch(`${gateway.url}/v1/jobs/${jobId}`, { headers: bearer(token) });
    expect(res.status).to.equal(504);
    expect(((await res.json()) as ErrorJson).code).to.equal('UPSTREAM_UNAVAILABLE');
  });

  it('when the orchestrator refuses the internal token, then 502 UPSTREAM_UNAVAILABLE, not a 401 for the caller', async () => {
    stub.state.expectedToken = 'rotated-token';
    const res = await fetch(`${gateway.url}/v1/jobs/${jobId}`, { headers: bearer(token) });
    expect(res.status).to.equal(502);
    expect(((await res.json()) as ErrorJson).code).to.equal('UPSTREAM_UNAVAILABLE');
  });

  it('when everything is up, then the internal /ready reports database, broker and orchestrator and the public one says only ready', async () => {
    const res = await fetch(`${gateway.metricsUrl}/ready`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { checks: Record<string, boolean> }).checks).to.deep.equal({ database: true, broker: true, orchestrator: true });
    const pub = await fetch(`${gateway.url}/ready`);
    expect(pub.status).to.equal(200);
    expect(await pub.json()).to.deep.equal({ status: 'ready' });
    expect((await fetch(`${gateway.url}/metrics`)).status, 'no /metrics on the public port').to.equal(404);
    expect(await (await fetch(`${gateway.metricsUrl}/metrics`)).text()).to.contain('xauth_gateway_');
  });

  it('when the orchestrator is down, then 503 UPSTREAM_UNAVAILABLE without its address, and /ready says not ready', async () => {
    const replica = await startGateway(gatewayConfig(namespace, { ORCHESTRATOR_URL: await deadUrl(), BOOTSTRAP_CLIENTS: JSON.stringify([READER]) }), {
      logger,
    });
    try {
      const res = await fetch(`${replica.url}/v1/accounts/alice_x/token`, { headers: bearer(token) });
      expect(res.status).to.equal(503);
      const body = (await res.json()) as ErrorJson;
      expect(body.code).to.equal('UPSTREAM_UNAVAILABLE');
      expect(body.message).to.not.match(/127\.0\.0\.1|ECONNREFUSED/);
      const ready = await fetch(`${replica.metricsUrl}/ready`);
      expect(ready.status).to.equal(503);
      expect(((await ready.json()) as { checks: Record<string, boolean> }).checks.orchestrator).to.equal(false);
      const pub = await fetch(`${replica.url}/ready`);
      expect(pub.status).to.equal(503);
      expect(await pub.json()).to.deep.equal({ status: 'not_ready' });
    } finally {
      await replica.stop();
    }
  });

  it('when tokens were proxied, then neither the X access token nor the internal token is in the logs', () => {
    const all = lines.join('\n');
    expect(all).to.not.contain(accessToken);
    expect(all).to.not.contain(INTERNAL_TOKEN);
  });
});
