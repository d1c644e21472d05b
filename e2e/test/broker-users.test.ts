import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { SERVICES, brokerUserOf } from '@xauth/contracts';
import { getJson, getServiceToken, postJson, startStack, waitUntil, type Stack } from '../src/index.js';

const run = promisify(execFile);

/** The broker's connections whose client named them `<namespace>:<service>`, with the user each logged in as. */
async function connectionsOf(namespace: string): Promise<Array<{ service: string; user: string }>> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'user', 'client_properties', '--formatter', 'json'], { timeout: 60_000 });
  const rows = JSON.parse(stdout) as Array<{ user: string; client_properties: Array<[string, string, unknown]> }>;
  return rows.flatMap((r) => {
    const name = r.client_properties.find(([key]) => key === 'connection_name')?.[2];
    return typeof name === 'string' && name.startsWith(`${namespace}:`) ? [{ service: name.slice(namespace.length + 1), user: r.user }] : [];
  });
}

describe('per-service broker users on the whole stack (RabbitMQ, PostgreSQL, x-sim)', function () {
  this.timeout(180_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('when the stack runs, then every service is connected as its own broker user and none as guest', async () => {
    const connections = await connectionsOf(stack.namespace);
    expect([...new Set(connections.map((c) => c.service))]).to.have.members([...SERVICES]);
    for (const c of connections) expect(c.user, c.service).to.equal(brokerUserOf(c.service as (typeof SERVICES)[number]));
  });

  it("when the dead-letter office's user publishes a browser worker's event outside a replay, then the orchestrator dead-letters it with FORGED_PRODUCER and the office will not replay it", async () => {
    const jobId = randomUUID();
    await stack.probe.publishAs('dead-letters', 'events', 'authorization.attempt.failed', {
      jobId,
      errorCode: 'CAPTCHA_REQUIRED',
      message: 'forged',
      retryable: false,
    });
    const auth = { authorization: `Bearer ${await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret')}` };
    const letter = await waitUntil(
      async () => {
        const list = await getJson(`${stack.gateway.url}/v1/dead-letters?errorCode=FORGED_PRODUCER`, auth);
        return list.body.items?.find((d: { body: { jobId?: string } }) => d.body.jobId === jobId);
      },
      30_000,
      'the forged event stored by the office',
    );
    expect(letter).to.include({ errorCode: 'FORGED_PRODUCER', service: 'orchestrator' });
    expect(letter.errorMessage).to.equal('authorization.attempt.failed was published by broker user "xauth-dead-letters"; only browser-worker may publish it');
    expect(letter.headers).to.include({ 'x-original-user-id': 'xauth-dead-letters' });
    expect(letter.notReplayable).to.match(/FORGED_PRODUCER/);
    const replay = await postJson(`${stack.gateway.url}/v1/dead-letters/${letter.id}/replay`, { reason: 'try' }, auth);
    expect(replay.status).to.equal(409);
    expect(replay.body.code).to.equal('REPLAY_NOT_POSSIBLE');
  });
});
