import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { expect } from 'chai';
import { exchangeName, queueBindings, queueName, routingKeyFor, workQueueArguments, workQueues } from '@xauth/contracts';
import { Bus } from '../src/bus/bus.js';
import { deleteTopology } from '../src/bus/topology.js';
import { TransientError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics.js';
import { waitUntil } from './support/wait.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const TIERS = [150, 300];
const logger = createLogger({ service: 'bus-test', silent: true });

/** The broker's own CLI (the broker runs on this machine in tests and CI). */
const rabbitmqctl = (...args: string[]) =>
  new Promise<string>((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: 30_000 }, (err, out, errOut) =>
      err ? reject(new Error(`rabbitmqctl ${args.join(' ')}: ${err.message}\n${errOut}`)) : resolve(out),
    );
  });

describe('bus on a real RabbitMQ', function () {
  this.timeout(30_000);
  let namespace: string;
  let bus: Bus;
  let conn: ChannelModel;
  let ch: Channel;

  beforeEach(async () => {
    namespace = `test-${randomBytes(4).toString('hex')}`;
    conn = await amqplib.connect(AMQP_URL);
    ch = await conn.createChannel();
  });
  afterEach(async () => {
    await bus?.close();
    await deleteTopology(await conn.createChannel(), namespace, TIERS);
    await conn.close();
  });

  const connect = () => Bus.connect({ url: AMQP_URL, namespace, service: 'bus-test', logger, metrics: new Metrics('bus-test'), retryTiersMs: TIERS });
  const deadLetter = (): Promise<GetMessage> => waitUntil(() => ch.get(queueName(namespace, 'dead-letters'), { noAck: true }), 'a dead letter');

  it('when a message is published, then the consumer gets the payload and the CloudEvents envelope', async () => {
    bus = await connect();
    const got = new Promise<{ payload: unknown; attempt: number; type: string; correlationId: string }>((resolve) => {
      void bus.subscribe(
        'orchestrator.login-requests',
        {
          'user.login.requested': async (payload, ctx) =>
            resolve({ payload, attempt: ctx.envelope.attempt, type: ctx.envelope.type, correlationId: ctx.envelope.correlationId }),
        },
        { prefetch: 1 },
      );
    });
    const requestId = randomUUID();
    await bus.publish('user.login.requested', { requestId, accountId: 'someone' }, { correlationId: 'corr-9' });
    expect(await got).to.deep.equal({ payload: { requestId, accountId: 'someone' }, attempt: 1, type: 'user.login.requested', correlationId: 'corr-9' });
  });

  it('when more publishes are held than the limit, then the next ones fail fast with PUBLISH_BUFFER_FULL and publishing goes on once they are confirmed', async () => {
    bus = await Bus.connect({
      url: AMQP_URL,
      namespace,
      service: 'bus-test',
      logger,
      metrics: new Metrics('bus-test'),
      retryTiersMs: TIERS,
      maxWaitingPublishes: 3,
    });
    // One synchronous burst: no confirm can arrive before the fourth publish asks for room.
    const burst = await Promise.allSettled(
      Array.from({ length: 5 }, () => bus.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' })),
    );
    expect(burst.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const refused = (burst[3] as PromiseRejectedResult).reason as TransientError;
    expect(refused).to.be.instanceOf(TransientError);
    expect(refused.code).to.equal('PUBLISH_BUFFER_FULL');
    expect(refused.message).to.equal('3 publishes already wait for the broker (limit 3)');
    await bus.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' });
    const { messageCount } = await ch.checkQueue(queueName(namespace, 'orchestrator.login-requests'));
    expect(messageCount).to.equal(4);
  });

  it('when the broker blocks publishing (a memory alarm), then the reason is logged and named by the publish that times out; once it lifts, publishing goes on', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => lines.push(c.toString()));
    bus = await Bus.connect({
      url: AMQP_URL,
      namespace,
      service: 'bus-test',
      logger: createLogger({ service: 'bus-test', silent: true, stream }),
      metrics: new Metrics('bus-test'),
      retryTiersMs: TIERS,
      confirmTimeoutMs: 1_500,
    });
    const watermark = (await rabbitmqctl('eval', 'vm_memory_monitor:get_vm_memory_high_watermark().')).trim();
    expect(watermark, 'a relative watermark this test can put back').to.match(/^0?\.\d+$|^1(\.0)?$/);
    try {
      await rabbitmqctl('set_vm_memory_high_watermark', 'absolute', '1');
      const err = await bus.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(TransientError);
      expect((err as TransientError).message).to.match(/did not confirm user\.login\.requested within 1500 ms \(the broker blocks publishing: .+\)/);
      expect(lines.join('')).to.contain('broker blocks publishing');
    } finally {
      await rabbitmqctl('set_vm_memory_high_watermark', watermark);
    }
    await waitUntil(() => lines.join('').includes('broker takes publishes again'), 'the unblocked event');
    await bus.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' });
  });

  it('when handlers finish out of order, then each delivery is acked once and a slow one holds no other prefetch slot', async () => {
    bus = await connect();
    const seen: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => {
      releaseFirst = r;
    });
    const fourthSeen = new Promise<void>((resolve) => {
      void bus.subscribe(
        'orchestrator.login-requests',
        {
          'user.login.requested': async (p) => {
            seen.push(p.accountId);
            if (p.accountId === 'first') await firstHeld;
            if (p.accountId === 'fourth') resolve();
          },
        },
        { prefetch: 3 },
      );
    });
    for (const accountId of ['first', 'second', 'third', 'fourth']) await bus.publish('user.login.requested', { requestId: randomUUID(), accountId });
    // With prefetch 3, the fourth arrives only if second and third were acked while first still runs.
    await fourthSeen;
    releaseFirst();
    // Closing drains the handlers, then returns whatever is unacked to the queue: nothing must come back.
    await bus.close();
    const { messageCount } = await ch.checkQueue(queueName(namespace, 'orchestrator.login-requests'));
    expect(messageCount, 'deliveries returned to the queue unacked').to.equal(0);
    expect(seen).to.deep.equal(['first', 'second', 'third', 'fourth']);
  });

  it('when setPrefetch changes the limit of a running consumer, then it never again holds more than the new limit once it has worked down to it, and holds more after growing', async () => {
    bus = await connect();
    const gates: Array<() => void> = [];
    let inHand = 0;
    let started = 0;
    let peak = 0;
    let draining = false;
    const sub = await bus.subscribe(
      'orchestrator.login-requests',
      {
        'user.login.requested': async () => {
          started++;
          inHand++;
          peak = Math.max(peak, inHand);
          if (!draining) await new Promise<void>((r) => gates.push(r));
          inHand--;
        },
      },
      { prefetch: 4 },
    );
    for (let i = 0; i < 14; i++) await bus.publish('user.login.requested', { requestId: randomUUID(), accountId: `a${i}` });
    await waitUntil(() => inHand === 4, 'four deliveries in hand');

    await sub.setPrefetch(2);
    gates.shift()!();
    gates.shift()!();
    await waitUntil(() => inHand === 2, 'two in hand after two releases');
    peak = inHand;
    // From here each delivery finished makes room for exactly one more.
    for (let i = 0; i < 5; i++) {
      const before = started;
      gates.shift()!();
      await waitUntil(() => started === before + 1 && inHand === 2, `one more delivery after release ${i + 1}`);
    }
    // A consumer still at prefetch 4 would have refilled to 4 after every release.
    expect(peak, 'deliveries held after shrinking to 2').to.equal(2);

    await sub.setPrefetch(5);
    await waitUntil(() => inHand === 5, 'five in hand after growing to 5');
    draining = true;
    while (gates.length) gates.shift()!();
    await waitUntil(() => started === 14 && inHand === 0, 'every delivery handled');
  });

  it('when messages are published and consumed, then the registry reports them by routing key and outcome', async () => {
    const metrics = new Metrics('bus-test');
    bus = await Bus.connect({ url: AMQP_URL, namespace, service: 'bus-test', logger, metrics, retryTiersMs: TIERS });
    let handled = 0;
    const allHandled = new Promise<void>((resolve) => {
      void bus.subscribe(
        'orchestrator.login-requests',
        {
          'user.login.requested': async () => {
            if (++handled === 3) resolve();
          },
        },
        { prefetch: 5 },
      );
    });
    for (let i = 0; i < 3; i++) await bus.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' });
    await allHandled;
    // The wrapper counts a delivery once its handler has resolved: wait for the third.
    const text = await waitUntil(async () => {
      const t = await metrics.registry.metrics();
      return t.includes('outcome="acked",service="bus-test"} 3') && t;
    }, 'the third acked delivery in the registry');
    expect(text).to.match(/xauth_bus_published_total\{routing_key="user\.login\.requested",outcome="confirmed",service="bus-test"\} 3/);
    expect(text).to.match(/xauth_bus_consumed_total\{routing_key="user\.login\.requested",outcome="acked",service="bus-test"\} 3/);
    expect(text).to.match(/xauth_bus_handler_duration_seconds_count\{service="bus-test",routing_key="user\.login\.requested"\} 3/);
    // Counted once: a second scrape adds nothing.
    expect(await metrics.registry.metrics()).to.contain('outcome="confirmed",service="bus-test"} 3');
  });

  it('when a payload breaks its contract, then publish refuses it', async () => {
    bus = await connect();
    try {
      await bus.publish('user.login.requested', { requestId: 'nope', accountId: 'x' } as never);
      expect.fail('publish should refuse');
    } catch (err) {
      expect(err).to.have.property('code', 'VALIDATION_FAILED');
    }
  });

  it('when a handler keeps failing transiently, then it is retried with a growing x-attempt and dead-lettered after maxAttempts', async () => {
    bus = await connect();
    const attempts: number[] = [];
    await bus.subscribe(
      'orchestrator.login-requests',
      {
        'user.login.requested': async (_p, ctx) => {
          attempts.push(ctx.envelope.attempt);
          throw new TransientError({ code: 'X_UNAVAILABLE', message: 'X answered 503' });
        },
      },
      { prefetch: 1, maxAttempts: 3 },
    );
    await bus.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' });
    const dl = await deadLetter();
    expect(attempts).to.deep.equal([1, 2, 3]);
    expect(dl.properties.headers).to.include({
      'x-error-code': 'X_UNAVAILABLE',
      'x-attempt': 3,
      'x-service': 'bus-test',
      'x-original-exchange': exchangeName(namespace, 'commands'),
      'x-original-routing-key': 'user.login.requested',
      'x-original-queue': queueName(namespace, 'orchestrator.login-requests'),
    });
    expect(String(dl.properties.headers?.['x-error-message'])).to.match(/^gave up after 3 attempts: X answered 503/);
    expect(Date.parse(String(dl.properties.headers?.['x-first-failure-at']))).to.be.below(Date.parse(String(dl.properties.headers?.['x-last-failure-at'])));
  });

  it('when a handler cannot start its work (deferred), then it is retried without spending an attempt and then succeeds', async () => {
    bus = await connect();
    const seen: Array<{ attempt: number; deferrals: number }> = [];
    const done = new Promise<void>((resolve) => {
      void bus.subscribe(
        'orchestrator.login-requests',
        {
          'user.login.requested': async (_p, ctx) => {
            seen.push({ attempt: ctx.envelope.attempt, deferrals: ctx.envelope.deferrals });
            if (seen.length <= 3) throw new TransientError({ code: 'PROFILE_BUSY', message: 'held elsewhere', deferred: true });
            resolve();
          },
        },
        { prefetch: 1, maxAttempts: 2 },
      );
    });
    await bus.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' });
    await done;
    // Three deferrals with a budget of two attempts: none spent one, nothing was dead-lettered.
    expect(seen).to.deep.equal([0, 1, 2, 3].map((deferrals) => ({ attempt: 1, deferrals })));
    expect((await ch.checkQueue(queueName(namespace, 'dead-letters'))).messageCount).to.equal(0);
  });

  it('when a message carrying a code is dead-lettered, then the code and state are redacted at the source', async () => {
    bus = await connect();
    ch.publish(
      exchangeName(namespace, 'events'),
      'authorization.consent.captured',
      Buffer.from(JSON.stringify({ jobId: 'not-a-uuid', code: 'SECRET-CODE', state: 'SECRET-STATE' })),
      // The bus's own broker user (guest here): consumers take a worker's event only from a producer they trust.
      { messageId: randomUUID(), type: 'authorization.consent.captured', userId: 'guest' },
    );
    await bus.subscribe('orchestrator.authorization-results', { 'authorization.consent.captured': async () => undefined }, { prefetch: 1 });
    const dl = await deadLetter();
    expect(dl.properties.headers?.['x-error-code']).to.equal('VALIDATION_FAILED');
    expect(dl.content.toString()).not.to.match(/SECRET-CODE|SECRET-STATE/);
    expect(JSON.parse(dl.content.toString())).to.include({ jobId: 'not-a-uuid', code: '[REDACTED]' });
  });

  it('when a body is larger than the limit, then it is dead-lettered unread as PAYLOAD_TOO_LARGE', async () => {
    bus = await connect();
    let handled = false;
    await bus.subscribe(
      'orchestrator.login-requests',
      {
        'user.login.requested': async () => {
          handled = true;
        },
      },
      { prefetch: 1, maxMessageBytes: 1024 },
    );
    ch.publish(exchangeName(namespace, 'commands'), 'user.login.requested', Buffer.alloc(4096, 'x'), { messageId: randomUUID(), type: 'user.login.requested' });
    const dl = await deadLetter();
    expect(dl.properties.headers?.['x-error-code']).to.equal('PAYLOAD_TOO_LARGE');
    expect(handled).to.equal(false);
  });

  it('when a namespace holds the `<type>.#` bindings of an earlier version, then connect removes them and only repliable types route suffixed keys', async () => {
    const results = queueName(namespace, 'orchestrator.authorization-results');
    await ch.assertExchange(exchangeName(namespace, 'events'), 'topic', { durable: true });
    await ch.assertQueue(results, { durable: true, arguments: workQueueArguments(namespace, workQueues['orchestrator.authorization-results'].deliveryLimit) });
    await ch.bindQueue(results, exchangeName(namespace, 'events'), 'authorization.attempt.failed.#');
    bus = await connect();
    const routed = (key: string) =>
      new Promise<boolean>((resolve) => {
        const pub = conn.createConfirmChannel();
        void pub.then((c) => {
          c.once('return', () => resolve(false));
          c.publish(exchangeName(namespace, 'events'), key, Buffer.from('{}'), { mandatory: true }, () => setImmediate(() => resolve(true)));
        });
      });
    expect(await routed('authorization.attempt.failed'), 'the type itself').to.equal(true);
    expect(await routed('authorization.attempt.failed.billing'), 'a suffix on a type that is never a reply').to.equal(false);
    expect(queueBindings(workQueues['orchestrator.authorization-results']).map((b) => b.pattern)).to.deep.equal(
      workQueues['orchestrator.authorization-results'].consumes,
    );
  });

  it('when a routing-key suffix is asked for a type that is not a targeted reply, then publish refuses it', async () => {
    bus = await connect();
    expect(routingKeyFor('user.authenticated', 'billing')).to.equal('user.authenticated.billing');
    try {
      await bus.publish(
        'authorization.job.started',
        { jobId: randomUUID(), profileId: 'p1', workerId: 'w', startedAt: new Date().toISOString() },
        { routingKeySuffix: 'billing' },
      );
      expect.fail('publish should refuse');
    } catch (err) {
      expect((err as Error).message).to.contain('not sent as a targeted reply');
    }
  });

  it('when the broker holds a queue declared differently, then connect fails at once with a message naming the namespace', async () => {
    await ch.assertQueue(queueName(namespace, 'orchestrator.login-requests'), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const started = Date.now();
    try {
      await connect();
      expect.fail('connect should fail');
    } catch (err) {
      expect((err as Error).message)
        .to.contain(`namespace "${namespace}"`)
        .and.contain('PRECONDITION_FAILED');
      expect(Date.now() - started).to.be.below(10_000);
    }
  });
});
