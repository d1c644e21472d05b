import { randomBytes, randomUUID } from 'node:crypto';
import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { expect } from 'chai';
import { DataSource, type Logger as OrmLogger } from 'typeorm';
import { exchangeName } from '@xauth/contracts';
import { Bus } from '../src/bus/bus.js';
import { assertTopology, deleteTopology } from '../src/bus/topology.js';
import { devBrokerUrl, ensureDevBrokerUsers } from '../src/broker-users.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics.js';
import { OutboxInbox1763800000000, OutboxRelay, OutboxRow, InboxRow, enqueue } from '../src/outbox/index.js';
import { waitUntil } from './support/wait.js';

const ADMIN_URL = 'amqp://guest:guest@127.0.0.1:5672';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TIERS = [150];
const logger = createLogger({ service: 'outbox-test', silent: true });

/** Every statement the relay's data source sends, as PostgreSQL receives it. */
class Statements implements OrmLogger {
  readonly seen: string[] = [];
  logQuery(query: string): void {
    this.seen.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

describe('outbox relay (real PostgreSQL and RabbitMQ)', function () {
  this.timeout(60_000);
  let namespace: string;
  let schema: string;
  let admin: ChannelModel;
  let listen: Channel;
  let queue: string;
  let ds: DataSource;
  let bus: Bus;
  let metrics: Metrics;
  let statements: Statements;
  let relay: OutboxRelay | undefined;

  before(() => ensureDevBrokerUsers());
  beforeEach(async () => {
    namespace = `test-${randomBytes(4).toString('hex')}`;
    schema = `outbox_${randomBytes(4).toString('hex')}`;
    admin = await amqplib.connect(ADMIN_URL);
    await assertTopology(admin, namespace, TIERS);
    listen = await admin.createChannel();
    ({ queue } = await listen.assertQueue('', { exclusive: true }));
    await listen.bindQueue(queue, exchangeName(namespace, 'events'), '#');
    statements = new Statements();
    ds = new DataSource({
      type: 'postgres',
      url: DATABASE_URL,
      schema,
      entities: [OutboxRow, InboxRow],
      migrations: [OutboxInbox1763800000000],
      extra: { options: `-c search_path=${schema}` },
      logging: ['query'],
      logger: statements,
    });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${schema}`);
    await ds.runMigrations();
    statements.seen.length = 0;
    metrics = new Metrics('browser-worker');
    bus = await Bus.connect({ url: devBrokerUrl('browser-worker'), namespace, service: 'browser-worker', logger, metrics, retryTiersMs: TIERS });
  });
  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
    await bus.close().catch(() => undefined);
    await ds.query(`DROP SCHEMA ${schema} CASCADE`);
    await ds.destroy();
    await deleteTopology(await admin.createChannel(), namespace, TIERS);
    await admin.close();
  });

  /** A row committed as another process (a replica) would: nothing nudges this relay. */
  const commitRow = async (jobId: string) =>
    ds.transaction((m) =>
      enqueue(m, 'authorization.job.started', { jobId, profileId: 'p1', workerId: 'w1', startedAt: new Date().toISOString() }, { correlationId: randomUUID() }),
    );
  const received = async () => {
    const m = await waitUntil(() => listen.get(queue, { noAck: true }), 'the outbox message');
    return JSON.parse(m.content.toString('utf8')) as { jobId: string };
  };
  const lag = async () => (await metrics.registry.getSingleMetric('xauth_outbox_lag_seconds')!.get()).values[0]?.value;

  it('when idle, then each poll is one read and no transaction; a row committed elsewhere is still published by the next poll, and the lag returns to 0', async () => {
    relay = new OutboxRelay({ dataSource: ds, bus, logger, metrics, pollMs: 100 });
    await relay.start();
    await waitUntil(() => statements.seen.length >= 5, 'five idle polls');
    // Every statement of an idle relay is the poll's one read of the unsent rows: no transaction, no row lock.
    expect(statements.seen.splice(0).filter((q) => !/^SELECT EXTRACT\(EPOCH .* FROM outbox WHERE sent_at IS NULL$/.test(q))).to.deep.equal([]);

    const jobId = randomUUID();
    await commitRow(jobId);
    expect((await received()).jobId).to.equal(jobId);
    await waitUntil(async () => (await ds.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL'))[0].n === 0, 'the row marked sent');
    await waitUntil(async () => (await lag()) === 0, 'the lag gauge back to 0');
  });

  it('when nudged after a commit, then it claims at once without waiting for the poll', async () => {
    relay = new OutboxRelay({ dataSource: ds, bus, logger, metrics, pollMs: 60_000 });
    await relay.start();
    await waitUntil(() => statements.seen.length > 0, 'the first poll');
    const jobId = randomUUID();
    await commitRow(jobId);
    relay.nudge();
    // The next poll is 60 s away, past received()'s wait: only the nudge can have published it.
    expect((await received()).jobId).to.equal(jobId);
    expect(statements.seen.some((q) => /FOR UPDATE SKIP LOCKED/i.test(q))).to.equal(true);
  });
});
