import { expect } from 'chai';
import { startGateway, type RunningGateway } from '../src/start.js';
import {
  bearer,
  capturingLogger,
  cleanupNamespace,
  gatewayConfig,
  serviceToken,
  startOrchestratorStub,
  testNamespace,
  type OrchestratorStub,
} from './helpers.js';

const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['tokens:read'] };
const LANES = 50;
const READS_PER_LANE = 20;

describe('gateway: token reads under load', () => {
  const namespace = testNamespace();
  const { logger, lines } = capturingLogger();
  let stub: OrchestratorStub;
  let gateway: RunningGateway;

  before(async () => {
    stub = await startOrchestratorStub();
    for (let i = 0; i < LANES; i++) {
      stub.tokens.set(`acct_${i}/xauth-dev`, {
        accessToken: `x-access-${i}`,
        tokenType: 'bearer',
        scopes: 'tweet.read users.read offline.access',
        expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
      });
    }
    gateway = await startGateway(
      gatewayConfig(namespace, {
        ORCHESTRATOR_URL: stub.url,
        RATE_LIMIT_PER_MINUTE: String(10 * LANES * READS_PER_LANE),
        BOOTSTRAP_CLIENTS: JSON.stringify([READER]),
      }),
      { logger },
    );
  });
  after(async () => {
    await gateway?.stop();
    await stub?.close();
    await cleanupNamespace(namespace);
  });

  it(`when ${LANES} connections read tokens at once, then every read answers its own token and nothing is logged as a warning or an error`, async () => {
    const token = await serviceToken(gateway.url, READER.clientId, READER.clientSecret);
    const logged = lines.length;
    const answers = await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const seen: Array<{ status: number; accessToken: unknown }> = [];
        for (let n = 0; n < READS_PER_LANE; n++) {
          const res = await fetch(`${gateway.url}/v1/accounts/acct_${lane}/token`, { headers: bearer(token) });
          seen.push({ status: res.status, accessToken: ((await res.json()) as { accessToken?: unknown }).accessToken });
        }
        return seen.every((a) => a.status === 200 && a.accessToken === `x-access-${lane}`);
      }),
    );
    expect(answers.filter((ok) => !ok)).to.have.length(0);
    // Every read reached the orchestrator once, in batches: fewer requests than reads.
    const batches = stub.calls.filter((c) => c.path === '/internal/v1/tokens/read');
    expect(batches.flatMap((c) => c.reads ?? [])).to.have.length(LANES * READS_PER_LANE);
    expect(batches.length).to.be.below(LANES * READS_PER_LANE);
    const problems = lines.slice(logged).filter((l) => /"level":"(warn|error)"/.test(l));
    expect(problems).to.deep.equal([]);
  });
});
