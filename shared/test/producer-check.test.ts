import { randomBytes, randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type GetMessage } from 'amqplib';
import { expect } from 'chai';
import { exchangeName, queueName, retryQueueName, topicPermissionsOf, type ServiceName } from '@xauth/contracts';
import { Bus } from '../src/bus/bus.js';
import { assertTopology, deleteTopology } from '../src/bus/topology.js';
import { devBrokerUrl, ensureDevBrokerUsers, importDefinitions, runWithInput } from '../src/broker-users.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics.js';

const ADMIN_URL = 'amqp://guest:guest@127.0.0.1:5672';
const TIERS = [150];
const logger = createLogger({ service: 'producer-test', silent: true });

async function waitUntil<T>(fn: () => Promise<T | false | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Publishes once on a fresh confirm channel; resolves 'confirmed' or with the broker's reason for closing the channel. */
async function publishOnce(conn: ChannelModel, exchange: string, routingKey: string, props: amqplib.Options.Publish = {}): Promise<string> {
  const ch = await conn.createConfirmChannel();
  return new Promise<string>((resolve) => {
    ch.on('error', (err: Error) => resolve(err.message));
    ch.publish(exchange, routingKey, Buffer.from('{}'), { messageId: randomUUID(), type: routingKey, ...props }, (err) => {
      if (!err) {
        resolve('confirmed');
        void ch.close().catch(() => undefined);
      }
    });
  });
}

describe('broker users: each service publishes as its own user, and consumers refuse forged producers (real RabbitMQ)', function () {
  this.timeout(60_000);
  let namespace: string;
  let admin: ChannelModel;
  const opened: Array<ChannelModel | Bus> = [];
  const as = async (service: ServiceName) => {
    const c = await amqplib.connect(devBrokerUrl(service));
    c.on('error', () => undefined);
    opened.push(c);
    return c;
  };
  const busAs = async (service: ServiceName) => {
    const bus = await Bus.connect({ url: devBrokerUrl(service), namespace, service, logger, metrics: new Metrics(service), retryTiersMs: TIERS });
    opened.push(bus);
    return bus;
  };

  before(() => ensureDevBrokerUsers());
  beforeEach(async () => {
    namespace = `test-${randomBytes(4).toString('hex')}`;
    admin = await amqplib.connect(ADMIN_URL);
    await assertTopology(admin, namespace, TIERS);
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close().catch(() => undefined);
    await deleteTopology(await admin.createChannel(), namespace, TIERS);
    await admin.close();
  });

  it("when the browser worker's user publishes a command, or the orchestrator's events where the namespace has topic permissions, then the broker refuses; its own events go through", async () => {
    const worker = await as('browser-worker');
    expect(await publishOnce(worker, exchangeName(namespace, 'commands'), 'authorization.job.requested')).to.match(
      /403 \(ACCESS-REFUSED\).*access to exchange '.*\.commands'.*refused for user 'xauth-browser-worker'/,
    );
    // Topic permissions name exchanges exactly: a production broker has its namespace's (definitions.json); give this one's.
    const events = topicPermissionsOf('browser-worker', namespace).filter((p) => p.exchange === exchangeName(namespace, 'events'));
    await importDefinitions({ topic_permissions: events.map((p) => ({ user: 'xauth-browser-worker', vhost: '/', ...p })) });
    try {
      const refused = await waitUntil(async () => {
        const outcome = await publishOnce(worker, exchangeName(namespace, 'events'), 'user.authenticated.billing');
        return outcome === 'confirmed' ? undefined : outcome;
      }, 'the topic permissions to apply');
      expect(refused).to.match(/403 \(ACCESS-REFUSED\).*access to topic 'user\.authenticated\.billing' in exchange '.*\.events'/);
      expect(await publishOnce(worker, exchangeName(namespace, 'events'), 'authorization.job.started', { userId: 'xauth-browser-worker' })).to.equal(
        'confirmed',
      );
    } finally {
      await runWithInput('rabbitmqctl', ['clear_topic_permissions', 'xauth-browser-worker', exchangeName(namespace, 'events')], '');
    }
  });

  it("when a publish carries another user's user-id, then the broker refuses it; the bus always sets its own", async () => {
    const worker = await as('browser-worker');
    expect(await publishOnce(worker, exchangeName(namespace, 'events'), 'authorization.job.started', { userId: 'xauth-orchestrator' })).to.match(
      /406 \(PRECONDITION-FAILED\).*user_id property set to 'xauth-orchestrator' but authenticated user was 'xauth-browser-worker'/,
    );
    const { queue } = await (await admin.createChannel()).assertQueue(`${namespace}.test-commands`, { exclusive: true });
    const listen = await admin.createChannel();
    await listen.bindQueue(queue, exchangeName(namespace, 'commands'), 'user.login.requested');
    const gateway = await busAs('gateway');
    // Even a raw publish that carries someone else's user-id (a dead letter's, a replay's) goes out under the bus's own.
    await gateway.publish('user.login.requested', { requestId: randomUUID(), accountId: 'someone' });
    await gateway.publishRaw(exchangeName(namespace, 'commands'), 'user.login.requested', Buffer.from('{}'), { userId: 'xauth-orchestrator' });
    const got = [
      await waitUntil(() => listen.get(queue, { noAck: true }), 'the first'),
      await waitUntil(() => listen.get(queue, { noAck: true }), 'the second'),
    ];
    expect(got.map((m) => m.properties.userId)).to.deep.equal(['xauth-gateway', 'xauth-gateway']);
  });

  it('when a message comes from a producer its type does not name, then the consumer dead-letters it with FORGED_PRODUCER; its producers, upstream, replays and its own retries are handled', async () => {
    const orchestrator = await busAs('orchestrator');
    const handled: Array<{ accountId: string; attempt: number; userId: unknown }> = [];
    await orchestrator.subscribe(
      'orchestrator.login-requests',
      {
        'user.login.requested': async (p, ctx) => {
          handled.push({ accountId: p.accountId, attempt: ctx.envelope.attempt, userId: ctx.envelope.headers['x-original-user-id'] });
          if (p.accountId === 'flaky' && ctx.envelope.attempt === 1) throw new Error('try again');
        },
      },
      { prefetch: 5 },
    );
    await orchestrator.subscribe('orchestrator.refresh-requests', { 'token.refresh.requested': async () => undefined }, { prefetch: 5 });
    const login = (accountId: string) => Buffer.from(JSON.stringify({ requestId: randomUUID(), accountId }));
    const commands = exchangeName(namespace, 'commands');
    const send = async (conn: ChannelModel, exchange: string, routingKey: string, body: Buffer, props: amqplib.Options.Publish) => {
      const ch = await conn.createConfirmChannel();
      ch.publish(exchange, routingKey, body, { messageId: randomUUID(), ...props });
      await ch.waitForConfirms();
      await ch.close();
    };

    // The browser worker may write to the retry exchange (for its own retries): through it, into the orchestrator's login queue.
    await send(
      await as('browser-worker'),
      exchangeName(namespace, 'retry'),
      retryQueueName(namespace, 'orchestrator.login-requests', 150),
      login('via_retry'),
      { type: 'user.login.requested', userId: 'xauth-browser-worker' },
    );
    // The gateway may write commands, but token.refresh.requested comes only from upstream services.
    await send(await as('gateway'), commands, 'token.refresh.requested', Buffer.from(JSON.stringify({ accountId: 'someone' })), {
      type: 'token.refresh.requested',
      userId: 'xauth-gateway',
    });
    // The dead-letter office may republish a login request only as a replay.
    const office = await as('dead-letters');
    await send(office, commands, 'user.login.requested', login('office_not_a_replay'), { type: 'user.login.requested', userId: 'xauth-dead-letters' });
    await send(office, commands, 'user.login.requested', login('office_replay'), {
      type: 'user.login.requested',
      userId: 'xauth-dead-letters',
      headers: { 'x-replay-of': randomUUID() },
    });
    await send(await as('gateway'), commands, 'user.login.requested', login('from_gateway'), { type: 'user.login.requested', userId: 'xauth-gateway' });
    await send(admin, commands, 'user.login.requested', login('from_upstream'), { type: 'user.login.requested' });
    await orchestrator.publish('user.login.requested', { requestId: randomUUID(), accountId: 'flaky' });

    const letters: GetMessage[] = [];
    const dlq = await admin.createChannel();
    await waitUntil(async () => {
      const m = await dlq.get(queueName(namespace, 'dead-letters'), { noAck: true });
      if (m) letters.push(m);
      return letters.length === 3;
    }, 'three dead letters');
    const byCode = letters.map((m) => ({
      code: m.properties.headers?.['x-error-code'],
      routingKey: m.fields.routingKey,
      by: m.properties.userId,
      original: m.properties.headers?.['x-original-user-id'],
    }));
    expect(byCode).to.have.deep.members([
      // Through the tier it arrived from the default exchange, routed by the work queue's name.
      { code: 'FORGED_PRODUCER', routingKey: queueName(namespace, 'orchestrator.login-requests'), by: 'xauth-orchestrator', original: 'xauth-browser-worker' },
      { code: 'FORGED_PRODUCER', routingKey: 'token.refresh.requested', by: 'xauth-orchestrator', original: 'xauth-gateway' },
      { code: 'FORGED_PRODUCER', routingKey: 'user.login.requested', by: 'xauth-orchestrator', original: 'xauth-dead-letters' },
    ]);
    const messages = letters.map((m) => String(m.properties.headers?.['x-error-message']));
    expect(messages.find((t) => t.includes('xauth-browser-worker'))).to.include('only upstream, gateway, orchestrator may publish it');
    await waitUntil(async () => handled.length === 5, 'five handled deliveries');
    expect(handled.map((h) => `${h.accountId}#${h.attempt}`).sort()).to.deep.equal([
      'flaky#1',
      'flaky#2',
      'from_gateway#1',
      'from_upstream#1',
      'office_replay#1',
    ]);
    // The retry came back through the tier under the orchestrator's own user, recording who first published it.
    expect(handled.find((h) => h.accountId === 'flaky' && h.attempt === 2)?.userId).to.equal('xauth-orchestrator');
  });
});
