import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { queueName, retryQueueName, workQueueArguments, workQueues } from '@xauth/contracts';
import { Bus } from '../src/bus/bus.js';
import { BrokerAddresses, connectOptions } from '../src/bus/broker-addresses.js';
import { deleteTopology } from '../src/bus/topology.js';
import { busOptionsFrom, amqpConfig, commonConfig, parseConfig, ConfigError } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const TIERS = [150];
const logger = createLogger({ service: 'bus-test', silent: true });

describe('broker addresses', () => {
  it('when a URL names credentials, a vhost and tuning, then its object form says what amqplib makes of the URL', () => {
    expect(connectOptions('amqps://us%40er:p%3Ass@rabbit-1:5671/x%2Fy?heartbeat=5&frameMax=8192')).to.include({
      protocol: 'amqps',
      hostname: 'rabbit-1',
      port: 5671,
      username: 'us@er',
      password: 'p:ss',
      vhost: 'x%2Fy',
      heartbeat: 5,
      frameMax: 8192,
    });
    expect(connectOptions('amqp://localhost')).to.include({ port: 5672, username: 'guest', password: 'guest', vhost: '/' });
  });

  it('when several nodes are given, then each advance points the next attempt at the next node, round-robin; one URL stays as it is', () => {
    const a = new BrokerAddresses(['amqp://u:p@n1:5672', 'amqp://u:p@n2:5673']);
    const seen = [a.current];
    a.advance();
    seen.push(a.current, `${(a.target as { hostname: string }).hostname}`);
    a.advance();
    seen.push(a.current);
    expect(seen).to.deep.equal(['n1:5672', 'n2:5673', 'n2', 'n1:5672']);
    expect(new BrokerAddresses([AMQP_URL]).target).to.equal(AMQP_URL);
  });

  it('when AMQP_URL lists nodes or AMQP_URLS is set, then the bus gets them all (AMQP_URLS first); a wrong one stops the start naming the variable', () => {
    const config = (env: Record<string, string>) => parseConfig({ ...commonConfig, ...amqpConfig }, { NODE_ENV: 'test', ...env });
    const dev = (host: string) => `amqp://xauth-orchestrator:dev-broker-orchestrator@${host}`;
    expect(busOptionsFrom(config({ AMQP_URL: 'amqp://a:5672, amqp://b:5672', AMQP_QUORUM_GROUP_SIZE: '3' }), 'orchestrator')).to.deep.include({
      url: [dev('a:5672'), dev('b:5672')],
      quorumGroupSize: 3,
    });
    expect(busOptionsFrom(config({ AMQP_URLS: 'amqp://c:5672' }), 'orchestrator').url).to.deep.equal([dev('c:5672')]);
    expect(busOptionsFrom(config({}), 'orchestrator').url).to.deep.equal([dev('127.0.0.1:5672')]);
    expect(() => parseConfig(amqpConfig, { AMQP_URL: 'amqp://a:5672,http://secret@b' })).to.throw(ConfigError, /AMQP_URL.*not an amqp/);
  });

  it("when the broker credentials are configured, then each service logs in as its own user: AMQP_PASSWORD replaces the URL's, another user or production without a password stops the start", () => {
    const config = (env: Record<string, string>) => parseConfig({ ...commonConfig, ...amqpConfig }, env);
    expect(
      busOptionsFrom(config({ NODE_ENV: 'production', AMQP_URL: 'amqp://guest:guest@h:5672/v', AMQP_PASSWORD: 'p@ss:w/rd' }), 'gateway').url,
    ).to.deep.equal(['amqp://xauth-gateway:p%40ss%3Aw%2Frd@h:5672/v']);
    expect(connectOptions(busOptionsFrom(config({ NODE_ENV: 'production', AMQP_PASSWORD: 'p@ss:w/rd' }), 'gateway').url[0]!)).to.include({
      username: 'xauth-gateway',
      password: 'p@ss:w/rd',
    });
    expect(busOptionsFrom(config({ NODE_ENV: 'production', AMQP_URL: 'amqp://xauth-dead-letters:s3cret@h:5672' }), 'dead-letters').url).to.deep.equal([
      'amqp://xauth-dead-letters:s3cret@h:5672',
    ]);
    const refusal = (env: Record<string, string>) => {
      try {
        busOptionsFrom(config(env), 'browser-worker');
      } catch (err) {
        return err;
      }
      throw new Error('accepted');
    };
    const other = refusal({ NODE_ENV: 'test', AMQP_URL: 'amqp://guest:guest-password@h:5672' });
    expect(other).to.be.instanceOf(ConfigError);
    expect(String(other))
      .to.match(/AMQP_URL: connects as "guest"; the browser-worker connects as its own broker user "xauth-browser-worker"/)
      .and.not.include('guest-password');
    expect(String(refusal({ NODE_ENV: 'production' }))).to.match(/AMQP_PASSWORD: required in production.*"xauth-browser-worker"/);
  });
});

describe('bus with several broker addresses on a real RabbitMQ', function () {
  this.timeout(30_000);
  let namespace: string;
  let bus: Bus | undefined;

  beforeEach(() => {
    namespace = `test-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await bus?.close();
    bus = undefined;
    const conn = await amqplib.connect(AMQP_URL);
    await deleteTopology(await conn.createChannel(), namespace, TIERS);
    await conn.close();
  });

  const connect = (url: string | string[], quorumGroupSize?: number) =>
    Bus.connect({ url, quorumGroupSize, namespace, service: 'bus-test', logger, metrics: new Metrics('bus-test'), retryTiersMs: TIERS });

  it('when the first node refuses connections, then the bus connects to the next one and publishes', async () => {
    bus = await connect(['amqp://guest:guest@127.0.0.1:1', AMQP_URL]);
    expect(bus.isConnected()).to.equal(true);
    await bus.publish('user.login.requested', { requestId: '00000000-0000-4000-8000-000000000001', accountId: 'someone' });
  });

  it('when the queues exist without a group size and the bus asks for one, then it connects and keeps them; new queues get it', async () => {
    bus = await connect(AMQP_URL);
    await bus.close();
    bus = await connect(AMQP_URL, 1);
    expect(bus.isConnected()).to.equal(true);
    await bus.close();
    bus = undefined;
    // A fresh namespace's queues are created with the size: a declare with it is equivalent, one without it is not.
    const conn = await amqplib.connect(AMQP_URL);
    const fresh = `test-${randomBytes(4).toString('hex')}`;
    try {
      const b = await Bus.connect({
        url: [AMQP_URL],
        quorumGroupSize: 1,
        namespace: fresh,
        service: 'bus-test',
        logger,
        metrics: new Metrics('bus-test'),
        retryTiersMs: TIERS,
      });
      await b.close();
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      const name = queueName(fresh, 'orchestrator.login-requests');
      const declared = await ch.checkQueue(name);
      expect(declared.queue).to.equal(name);
      const err = await ch
        .assertQueue(name, { durable: true, arguments: workQueueArguments(fresh, workQueues['orchestrator.login-requests'].deliveryLimit) })
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(err?.message).to.contain('x-quorum-initial-group-size');
    } finally {
      await deleteTopology(await conn.createChannel(), fresh, TIERS);
      await conn.close();
    }
  });

  it('when a namespace holds the classic retry tiers of an earlier version, then connect keeps them (they work on one broker)', async () => {
    const conn = await amqplib.connect(AMQP_URL);
    const rq = retryQueueName(namespace, 'orchestrator.login-requests', TIERS[0]!);
    const ch = await conn.createChannel();
    await ch.assertQueue(rq, {
      durable: true,
      arguments: { 'x-message-ttl': TIERS[0], 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queueName(namespace, 'orchestrator.login-requests') },
    });
    await conn.close();
    bus = await connect(AMQP_URL);
    expect(bus.isConnected()).to.equal(true);
  });
});
