import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { exchangeName, queueName } from '@xauth/contracts';
import { Bus, Metrics, createLogger } from '@xauth/shared';
import { EventCollector, RabbitCluster, schemaOf, startStack, waitUntil, type RabbitNode, type Received, type Stack } from '../src/index.js';

const REQUESTS = 2_000;
/** Accounts with a profile: the first request of each runs a browser, the rest join it or hit the stored token. */
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `xsim_user_0${String(i + 11).padStart(2, '0')}`);

const requestIdOf = (r: Received) => (r.body as { requestId?: string }).requestId;
const isOutcome = (r: Received) => /^user\.authenticat/.test(r.routingKey);

describe('a 3-node RabbitMQ cluster under the stack (real rabbitmq-server nodes on this machine)', function () {
  this.timeout(600_000);
  let cluster: RabbitCluster;
  let stack: Stack | undefined;

  before(async () => {
    cluster = await RabbitCluster.start(3);
  });
  after(async () => {
    await cluster?.destroy();
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  /**
   * 2,000 logins through the stack; when a share is answered, `fault` takes down the node leading the
   * work queues and `heal` brings it back. The services know every node; the probe (upstream and
   * listener) sits on the last node, which the fault never touches.
   */
  async function loginsThrough(fault: (leader: RabbitNode) => Promise<void>, heal: (leader: RabbitNode) => Promise<void>) {
    const last = cluster.nodes.at(-1)!;
    stack = await startStack({
      broker: { url: cluster.serviceUrl, probeUrl: last.url },
      env: { AMQP_QUORUM_GROUP_SIZE: '3', OUTBOX_POLL_MS: '100' },
      xsim: { interstitialMs: 50 },
    });
    const s = stack;
    const loginQueue = queueName(s.namespace, 'orchestrator.login-requests');
    const members = JSON.parse(await cluster.ctl(last, 'list_queues', 'name', 'members', '--formatter', 'json')) as Array<{ name: string; members: string[] }>;
    expect(members.find((q) => q.name === loginQueue)?.members, 'replicas of a work queue (AMQP_QUORUM_GROUP_SIZE)').to.have.lengthOf(3);

    // The upstream and the listener may sit on the node the fault takes down: they are buses too, on
    // every node, and listen through a quorum queue of their own (a copy keeps its messageId).
    const listenQueue = `${s.namespace}.test-outcomes`;
    const setup = await amqplib.connect(last.url);
    const setupCh = await setup.createChannel();
    await setupCh.assertQueue(listenQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await setupCh.bindQueue(listenQueue, exchangeName(s.namespace, 'events'), 'user.#');
    await setup.close();
    const client = await Bus.connect({
      url: cluster.url.split(','),
      namespace: s.namespace,
      service: 'upstream',
      logger: createLogger({ service: 'upstream', silent: true }),
      metrics: new Metrics('upstream'),
    });
    const outcomes = new EventCollector();
    await client.consumeRaw(
      listenQueue,
      async (m) => {
        outcomes.push({ routingKey: m.fields.routingKey, body: JSON.parse(m.content.toString('utf8')), raw: '', properties: m.properties });
      },
      { prefetch: 200 },
    );
    const requests = Array.from({ length: REQUESTS }, (_, i) => ({ requestId: randomUUID(), accountId: ACCOUNTS[i % ACCOUNTS.length]! }));
    const publishing = (async () => {
      for (let i = 0; i < requests.length; i += 100) await Promise.all(requests.slice(i, i + 100).map((r) => client.publish('user.login.requested', r)));
    })();

    const answered = () => new Set(outcomes.all.filter(isOutcome).map(requestIdOf));
    await waitUntil(() => answered().size >= REQUESTS * 0.3 || undefined, 300_000, '30% of the outcomes');
    const leader = await cluster.leaderOf(loginQueue, last);
    const faultAt = Date.now();
    await fault(leader);
    await waitUntil(() => answered().size >= REQUESTS * 0.6 || undefined, 300_000, '60% of the outcomes with a node down');
    await heal(leader);
    await publishing;

    const ids = new Set<string>(requests.map((r) => r.requestId));
    await waitUntil(() => answered().size >= ids.size || undefined, 300_000, 'an outcome for every request').catch((err: Error) => {
      throw new Error(`${err.message}: ${ids.size - answered().size} without an outcome`);
    });
    await waitUntil(
      async () => {
        const { rows } = await s.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(s)}".outbox WHERE sent_at IS NULL`);
        return rows[0].n === 0 || undefined;
      },
      60_000,
      'the outbox to drain',
    );

    // Exactly once: one outcome message (a resend keeps its messageId) per request, none for another.
    const byRequest = new Map<string, Set<string>>();
    for (const o of outcomes.all.filter(isOutcome)) {
      const id = requestIdOf(o)!;
      if (!byRequest.has(id)) byRequest.set(id, new Set());
      byRequest.get(id)!.add(String(o.properties.messageId));
    }
    expect(
      [...ids].filter((id) => !byRequest.has(id)),
      'requests without an outcome',
    ).to.deep.equal([]);
    expect(
      [...byRequest].filter(([, mids]) => mids.size > 1),
      'requests with two different outcomes',
    ).to.deep.equal([]);
    expect([...byRequest.keys()].filter((id) => !ids.has(id))).to.deep.equal([]);
    expect(
      outcomes.all.filter((o) => o.routingKey.startsWith('user.authentication.failed')),
      'failed logins',
    ).to.deep.equal([]);

    // No job lost or doubled: one job per account, one row per request.
    const db = schemaOf(s);
    const jobs = await s.db.query(`SELECT account_id, count(*)::int AS n FROM "${db}".authorization_jobs GROUP BY account_id`);
    expect(
      jobs.rows.map((r: { n: number }) => r.n),
      'jobs per account',
    ).to.deep.equal(ACCOUNTS.map(() => 1));
    const rows = await s.db.query(`SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS d FROM "${db}".login_requests`);
    expect(rows.rows[0]).to.deep.equal({ n: REQUESTS, d: REQUESTS });

    // The pause: the longest gap between two first answers after the fault began.
    const firstAnswer = new Map<string, number>();
    outcomes.all.forEach((o, i) => {
      if (isOutcome(o) && !firstAnswer.has(requestIdOf(o)!)) firstAnswer.set(requestIdOf(o)!, outcomes.times[i]!);
    });
    const times = [...firstAnswer.values()].sort((a, b) => a - b);
    let pause = 0;
    for (let i = 1; i < times.length; i++) if (times[i]! >= faultAt) pause = Math.max(pause, times[i]! - Math.max(times[i - 1]!, faultAt));
    await client.close();
    console.log(
      `      ${leader.name} led ${loginQueue}; failover pause (longest gap between answers after the fault): ${pause} ms; ${REQUESTS} answered in ${((times.at(-1)! - times[0]!) / 1000).toFixed(1)} s`,
    );
  }

  it('when the node leading the work queues is stopped during 2,000 login requests and started again, then every request is answered exactly once and no job is lost or doubled', async () => {
    await loginsThrough(
      (leader) => cluster.stopApp(leader),
      (leader) => cluster.startApp(leader),
    );
  });

  it('when the node leading the work queues is killed with SIGKILL during 2,000 login requests and started again, then every request is answered exactly once and no job is lost or doubled', async () => {
    await loginsThrough(
      (leader) => cluster.kill(leader),
      (leader) => cluster.launch(leader),
    );
  });
});
