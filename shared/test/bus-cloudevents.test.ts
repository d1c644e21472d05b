import { randomBytes, randomUUID } from 'node:crypto';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { expect } from 'chai';
import { CloudEvent } from 'cloudevents';
import { exchangeName, queueName } from '@xauth/contracts';
import { Bus } from '../src/bus/bus.js';
import type { Envelope } from '../src/bus/envelope.js';
import { deleteTopology } from '../src/bus/topology.js';
import { NeedsOperatorError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics.js';
import { waitUntil } from './support/wait.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const TIERS = [150, 300];
const logger = createLogger({ service: 'ce-test', silent: true });

/**
 * A CloudEvents consumer written from the CloudEvents AMQP protocol binding (v1.0.3), not from the
 * bus: a `content-type` that does not start with `application/cloudevents` means binary content
 * mode (3); `content-type` is `datacontenttype` (3.1.1); the body is the data as the content type
 * encodes it (3.1.2); every other attribute is an application property (a header on AMQP 0-9-1)
 * named `cloudEvents_<attribute>` or `cloudEvents:<attribute>`, one separator per message
 * (3.1.3.1), valued in its native type or canonical string form (3.1.3.2). `new CloudEvent` validates
 * the result against CloudEvents 1.0 (strict), and throws if it is not a valid event.
 */
function toCloudEvent(msg: GetMessage): CloudEvent<unknown> {
  const contentType = msg.properties.contentType as string | undefined;
  if (contentType?.startsWith('application/cloudevents')) throw new Error('structured content mode: not what this consumer expects');
  const attributes: Record<string, unknown> = {};
  const separators = new Set<string>();
  for (const [name, value] of Object.entries(msg.properties.headers ?? {})) {
    const m = /^cloudEvents([_:])(.+)$/.exec(name);
    if (!m) continue;
    separators.add(m[1]!);
    attributes[m[2]!] = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  }
  if (separators.size > 1) throw new Error('a message must use one separator for all its CloudEvents attributes');
  const data = contentType && /^application\/(.+\+)?json\b/.test(contentType) ? JSON.parse(msg.content.toString('utf8')) : msg.content;
  const event = { ...attributes, ...(contentType ? { datacontenttype: contentType } : {}), data };
  return new CloudEvent(event as unknown as ConstructorParameters<typeof CloudEvent>[0]);
}

describe('CloudEvents binary mode on a real RabbitMQ', function () {
  this.timeout(30_000);
  let namespace: string;
  let bus: Bus | undefined;
  let conn: ChannelModel;
  let ch: Channel;

  beforeEach(async () => {
    namespace = `test-${randomBytes(4).toString('hex')}`;
    conn = await amqplib.connect(AMQP_URL);
    ch = await conn.createChannel();
  });
  afterEach(async () => {
    await bus?.close();
    bus = undefined;
    await deleteTopology(await conn.createChannel(), namespace, TIERS);
    await conn.close();
  });

  const connect = () => Bus.connect({ url: AMQP_URL, namespace, service: 'ce-test', logger, metrics: new Metrics('ce-test'), retryTiersMs: TIERS });

  it('when the bus publishes an event, then a consumer following the CloudEvents AMQP binding reads a valid CloudEvent with its id, type, source, time, dataschema and data', async () => {
    bus = await connect();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, exchangeName(namespace, 'events'), 'token.refreshed');
    const payload = { accountId: 'someone', app: 'main-app', expiresAt: '2026-12-01T10:00:00.000Z' };
    const before = Date.now();
    const messageId = await bus.publish('token.refreshed', payload);
    const msg = await waitUntil(() => ch.get(queue, { noAck: true }), 'the event');

    const event = toCloudEvent(msg);
    expect(event.validate()).to.equal(true);
    expect(event.specversion).to.equal('1.0');
    expect(event.id).to.equal(messageId);
    expect(event.type).to.equal('token.refreshed');
    expect(event.source).to.equal('ce-test');
    expect(event.dataschema).to.equal('urn:xauth:schema:token.refreshed:v1');
    expect(event.datacontenttype).to.equal('application/json');
    expect(event.data).to.deep.equal(payload);
    // The time came from the message (the SDK would fill in "now" without it): RFC 3339, when it was published.
    expect(msg.properties.headers?.cloudEvents_time).to.equal(event.time);
    expect(Date.parse(event.time!)).to.be.within(before, Date.now());
    // The AMQP 0-9-1 properties stay, for RabbitMQ-native consumers.
    expect(msg.properties).to.include({ messageId, type: 'token.refreshed', appId: 'ce-test', contentType: 'application/json', correlationId: messageId });
    expect(msg.properties.timestamp).to.equal(Math.floor(Date.parse(event.time!) / 1000));
    // Only the binding's names: no `ce-` header left.
    expect(Object.keys(msg.properties.headers ?? {}).filter((h) => h.startsWith('ce-'))).to.deep.equal([]);
  });

  it('when a message is dead-lettered after its handler failed, then the dead letter is still the same valid CloudEvent', async () => {
    bus = await connect();
    await bus.subscribe(
      'orchestrator.login-requests',
      {
        'user.login.requested': async () => {
          throw new NeedsOperatorError({ code: 'ACCOUNT_LOCKED', message: 'X locked the account' });
        },
      },
      { prefetch: 1 },
    );
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, exchangeName(namespace, 'commands'), 'user.login.requested');
    const payload = { requestId: randomUUID(), accountId: 'someone' };
    await bus.publish('user.login.requested', payload);
    const original = toCloudEvent(await waitUntil(() => ch.get(queue, { noAck: true }), 'the command'));
    const dead = toCloudEvent(await waitUntil(() => ch.get(queueName(namespace, 'dead-letters'), { noAck: true }), 'the dead letter'));
    expect(dead.validate()).to.equal(true);
    expect({ id: dead.id, type: dead.type, source: dead.source, time: dead.time, dataschema: dead.dataschema, data: dead.data }).to.deep.equal({
      id: original.id,
      type: 'user.login.requested',
      source: 'ce-test',
      time: original.time,
      dataschema: 'urn:xauth:schema:user.login.requested:v1',
      data: payload,
    });
  });

  /** Publishes `headers` with no AMQP properties but the content type, and returns the envelope the bus's consumer read. */
  async function envelopeOf(headers: Record<string, unknown>, payload: object): Promise<Envelope> {
    bus = await connect();
    const got = new Promise<Envelope>((resolve) => {
      void bus!.subscribe(
        'orchestrator.login-requests',
        {
          'user.login.requested': async (_p, ctx) => resolve(ctx.envelope),
        },
        { prefetch: 1 },
      );
    });
    ch.publish(exchangeName(namespace, 'commands'), 'user.login.requested', Buffer.from(JSON.stringify(payload)), { contentType: 'application/json', headers });
    return got;
  }

  const headerOnlyPublishers = [
    { who: 'a message carries only the ce- headers of earlier releases', prefix: 'ce-', source: 'old-release' },
    { who: 'a CloudEvents publisher sets only the binding\'s headers with the ":" separator', prefix: 'cloudEvents:', source: '/upstream/app' },
    { who: 'a CloudEvents publisher sets only the binding\'s headers with the "_" separator', prefix: 'cloudEvents_', source: '/upstream/app' },
  ];
  for (const { who, prefix, source } of headerOnlyPublishers) {
    it(`when ${who}, then the consumer reads its id, type, source and time from them`, async () => {
      const id = randomUUID();
      const headers = { specversion: '1.0', id, type: 'user.login.requested', source, time: '2026-11-30T08:00:00Z' };
      const envelope = await envelopeOf(Object.fromEntries(Object.entries(headers).map(([k, v]) => [`${prefix}${k}`, v])), {
        requestId: randomUUID(),
        accountId: 'someone',
      });
      expect({ messageId: envelope.messageId, type: envelope.type, source: envelope.source, timestamp: envelope.timestamp.toISOString() }).to.deep.equal({
        messageId: id,
        type: 'user.login.requested',
        source,
        timestamp: '2026-11-30T08:00:00.000Z',
      });
    });
  }
});
