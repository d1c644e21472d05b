import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { exchangeName } from '@xauth/contracts';
import { Bus, Metrics } from '@xauth/shared';
import { startGateway, type RunningGateway } from '../src/start.js';
import { AMQP_URL, bearer, capturingLogger, cleanupNamespace, gatewayConfig, postJson, serviceToken, testNamespace, waitFor } from './helpers.js';

const WRITER = { clientId: 'writer', clientSecret: 'writer-secret-0123456789', scopes: ['logins:write'] };
const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['jobs:read', 'tokens:read'] };

describe('gateway: POST /v1/logins', () => {
  const namespace = testNamespace();
  const config = gatewayConfig(namespace, { BOOTSTRAP_CLIENTS: JSON.stringify([WRITER, READER]), DEFAULT_APP: 'xauth-test' });
  let gateway: RunningGateway;
  let conn: ChannelModel;
  let ch: Channel;
  const received: ConsumeMessage[] = [];
  let writerToken: string;

  before(async () => {
    gateway = await startGateway(config, { logger: capturingLogger().logger });
    // A consumer of our own, bound like any upstream subscriber would be.
    conn = await amqplib.connect(AMQP_URL);
    ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, exchangeName(namespace, 'commands'), 'user.login.requested');
    await ch.consume(
      queue,
      (msg) => {
        if (msg) received.push(msg);
      },
      { noAck: true },
    );
    writerToken = await serviceToken(gateway.url, WRITER.clientId, WRITER.clientSecret);
  });
  after(async () => {
    await gateway?.stop();
    await conn?.close();
    await cleanupNamespace(namespace);
  });

  const loginsUrl = () => `${gateway.url}/v1/logins`;
  const receivedFor = (requestId: string) =>
    waitFor(
      () => received.find((m) => (JSON.parse(m.content.toString()) as { requestId: string }).requestId === requestId),
      `user.login.requested for ${requestId}`,
    );

  it('when a client with logins:write posts a login, then 202 and a user.login.requested with the envelope reaches a bound queue', async () => {
    const res = await postJson(loginsUrl(), { accountId: 'alice_x', force: true }, bearer(writerToken));
    expect(res.status).to.equal(202);
    const body = (await res.json()) as { requestId: string; status: string };
    expect(body.status).to.equal('accepted');
    expect(body.requestId).to.match(/^[0-9a-f-]{36}$/);

    const msg = await receivedFor(body.requestId);
    expect(msg.properties.messageId).to.match(/^[0-9a-f-]{36}$/);
    expect(msg.properties.type).to.equal('user.login.requested');
    expect(msg.properties.correlationId).to.equal(res.headers.get('x-request-id'));
    expect(msg.properties.appId).to.equal('gateway');
    expect(msg.properties.contentType).to.equal('application/json');
    expect(msg.properties.headers).to.include({
      cloudEvents_specversion: '1.0',
      cloudEvents_type: 'user.login.requested',
      cloudEvents_source: 'gateway',
      cloudEvents_dataschema: 'urn:xauth:schema:user.login.requested:v1',
    });
    expect(msg.properties.headers?.cloudEvents_id).to.equal(msg.properties.messageId);
    expect(JSON.parse(msg.content.toString())).to.deep.equal({ requestId: body.requestId, accountId: 'alice_x', app: 'xauth-test', force: true });
  });

  it('when the client names the requestId and sends x-request-id, then those are the idempotency key and the correlation id', async () => {
    const requestId = randomUUID();
    const httpRequestId = `req-${randomUUID()}`;
    const res = await postJson(
      loginsUrl(),
      { requestId, accountId: 'bob_x', app: 'other-app', scopes: 'tweet.read users.read' },
      { ...bearer(writerToken), 'x-request-id': httpRequestId },
    );
    expect(res.status).to.equal(202);
    expect(((await res.json()) as { requestId: string }).requestId).to.equal(requestId);
    const msg = await receivedFor(requestId);
    expect(msg.properties.correlationId).to.equal(httpRequestId);
    expect(JSON.parse(msg.content.toString())).to.deep.equal({ requestId, accountId: 'bob_x', app: 'other-app', scopes: 'tweet.read users.read' });
  });

  it('when the body is invalid, then 400 VALIDATION_FAILED with details per field, and nothing is published', async () => {
    const before = received.length;
    const res = await postJson(loginsUrl(), { accountId: 'not a username!', requestId: 'nope', extra: 1 }, bearer(writerToken));
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { code: string; requestId: string; details: Array<{ path: string; message: string }> };
    expect(body.code).to.equal('VALIDATION_FAILED');
    expect(body.requestId).to.equal(res.headers.get('x-request-id'));
    const paths = body.details.map((d) => d.path);
    expect(paths).to.include.members(['accountId', 'requestId']);
    expect(body.details.some((d) => d.message.includes('extra'))).to.equal(true);
    // A valid login sent after it is the next message: the invalid one never reached the broker.
    const ok = (await (await postJson(loginsUrl(), { accountId: 'carol_x' }, bearer(writerToken))).json()) as { requestId: string };
    await receivedFor(ok.requestId);
    expect(received.slice(before).map((m) => (JSON.parse(m.content.toString()) as { accountId: string }).accountId)).to.deep.equal(['carol_x']);
  });

  it('when the body is not JSON, then 400 VALIDATION_FAILED', async () => {
    const res = await fetch(loginsUrl(), { method: 'POST', headers: { ...bearer(writerToken), 'content-type': 'application/json' }, body: '{"accountId":' });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { code: string }).code).to.equal('VALIDATION_FAILED');
  });

  it('when the client lacks logins:write, then 403 FORBIDDEN', async () => {
    const reader = await serviceToken(gateway.url, READER.clientId, READER.clientSecret);
    const res = await postJson(loginsUrl(), { accountId: 'alice_x' }, bearer(reader));
    expect(res.status).to.equal(403);
    expect(((await res.json()) as { message: string }).message).to.equal('requires scope logins:write');
  });

  it('when the broker is unavailable, then 503 DEPENDENCY_UNAVAILABLE and no 202', async () => {
    const { logger } = capturingLogger();
    const bus = await Bus.connect({ url: AMQP_URL, namespace, service: 'gateway', logger, metrics: new Metrics('gateway'), confirmTimeoutMs: 1_000 });
    const replica = await startGateway(gatewayConfig(namespace, { BOOTSTRAP_CLIENTS: JSON.stringify([WRITER]) }), { logger, bus });
    try {
      await bus.close();
      const res = await postJson(`${replica.url}/v1/logins`, { accountId: 'alice_x' }, bearer(writerToken));
      expect(res.status).to.equal(503);
      expect(((await res.json()) as { code: string }).code).to.equal('DEPENDENCY_UNAVAILABLE');
      const ready = await fetch(`${replica.metricsUrl}/ready`);
      expect(ready.status).to.equal(503);
      expect(((await ready.json()) as { checks: Record<string, boolean> }).checks).to.include({ broker: false, database: true });
    } finally {
      await replica.stop();
    }
  });
});
