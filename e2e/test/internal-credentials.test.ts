import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { browserWorkerConfigShape } from '@xauth/browser-worker';
import { INTERNAL_TOKENS } from '@xauth/shared';
import { getServiceToken, startStack, type Stack } from '../src/index.js';

/** The gateway-orchestrator pair mid-rotation: the new secret first, the previous still accepted. */
const ROTATED = 'rotated-gateway-orchestrator-0123456789';

/** The status an internal route answers a caller presenting `token`. */
async function statusWith(url: string, token: string, method = 'GET', body?: unknown): Promise<number> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('internal APIs: each caller holds its own secret, accepted only where it needs it (RabbitMQ, PostgreSQL)', function () {
  this.timeout(120_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      inProcessWorker: false,
      env: { INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR: `${ROTATED},${INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR}` },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const orchestratorRoutes = (): Array<[string, string, unknown?]> => [
    ['GET', `/internal/v1/accounts/xsim_user_001/token?app=xauth-dev`],
    ['POST', '/internal/v1/tokens/read', { reads: [{ accountId: 'xsim_user_001', app: 'xauth-dev' }] }],
    ['GET', `/internal/v1/jobs/${randomUUID()}`],
    ['POST', '/internal/v1/logins/retry-failed', { filter: {}, dryRun: true, by: 'test' }],
    ['GET', '/internal/v1/breakers'],
  ];

  it("when the gateway's secret (new or, during a rotation, previous) calls the orchestrator, then token reads and operator routes let it in", async () => {
    for (const token of [ROTATED, INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR]) {
      for (const [method, path, body] of orchestratorRoutes())
        expect(await statusWith(`${stack.orchestrator.url}${path}`, token, method, body), path).to.not.equal(401);
    }
    // The gateway presents the first (new) one.
    const jwt = await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret');
    expect((await fetch(`${stack.gateway.url}/v1/jobs/${randomUUID()}`, { headers: { authorization: `Bearer ${jwt}` } })).status).to.equal(404);
    expect(
      await statusWith(`${stack.orchestrator.url}/internal/v1/jobs/${randomUUID()}/reopen`, INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR, 'POST', {
        by: 'ops',
        reason: 'test',
      }),
    ).to.equal(404);
  });

  it("when the dead-letter office's secret calls the orchestrator, then only the job reopen route lets it in", async () => {
    const token = INTERNAL_TOKENS.INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR;
    expect(
      await statusWith(`${stack.orchestrator.url}/internal/v1/jobs/${randomUUID()}/reopen`, token, 'POST', { by: 'dead-letters', reason: 'replay' }),
      'reopen',
    ).to.equal(404);
    for (const [method, path, body] of orchestratorRoutes())
      expect(await statusWith(`${stack.orchestrator.url}${path}`, token, method, body), path).to.equal(401);
  });

  it("when the browser-worker's secret (or the gateway's for another service) calls the orchestrator, then nothing lets it in", async () => {
    for (const token of [INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER, INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS]) {
      for (const [method, path, body] of orchestratorRoutes())
        expect(await statusWith(`${stack.orchestrator.url}${path}`, token, method, body), path).to.equal(401);
      expect(await statusWith(`${stack.orchestrator.url}/internal/v1/jobs/${randomUUID()}/reopen`, token, 'POST', { by: 'x', reason: 'x' })).to.equal(401);
    }
  });

  it("when the browser-worker's config is read, then it holds only the secret the gateway presents to it, none that opens another service", () => {
    expect(Object.keys(browserWorkerConfigShape).filter((k) => k.startsWith('INTERNAL_'))).to.deep.equal(['INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER']);
  });

  it("when the dead-letter office is called, then only the gateway's secret for it lets a caller in", async () => {
    const url = `${stack.deadLetters.url}/internal/v1/dead-letters`;
    expect(await statusWith(url, INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS)).to.equal(200);
    for (const token of [
      INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR,
      INTERNAL_TOKENS.INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR,
      INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER,
    ]) {
      expect(await statusWith(url, token)).to.equal(401);
    }
  });
});
