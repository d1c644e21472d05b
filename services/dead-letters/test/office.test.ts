import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { exchangeName, queueName } from '@xauth/contracts';
import { Bus, Metrics, ValidationError, createLogger } from '@xauth/shared';
import { api, startOffice, waitUntil, type Office } from './helpers.js';

const LOGIN_QUEUE = 'orchestrator.login-requests';

/** Publishes a dead letter as the consumer wrapper does: the queue's consumer (the orchestrator) puts it on the DLX with our failure headers. */
async function publishDeadLetter(o: Office, opts: { messageId?: string; body?: unknown; errorCode?: string; queue?: string; exchange?: string } = {}) {
  const messageId = opts.messageId ?? randomUUID();
  const headers = {
    'x-error-code': opts.errorCode ?? 'UNKNOWN_ACCOUNT',
    'x-error-message': 'no profile is signed in to @nobody',
    'x-original-exchange': opts.exchange ?? exchangeName(o.namespace, 'commands'),
    'x-original-routing-key': 'user.login.requested',
    'x-original-queue': queueName(o.namespace, opts.queue ?? LOGIN_QUEUE),
    'x-service': 'orchestrator',
    'x-attempt': 3,
    'x-first-failure-at': '2026-11-22T07:00:00.000Z',
    'x-last-failure-at': '2026-11-22T07:00:05.000Z',
    'ce-source': 'upstream',
  };
  o.asOrchestrator.publish(
    exchangeName(o.namespace, 'dlx'),
    'user.login.requested',
    Buffer.from(JSON.stringify(opts.body ?? { requestId: randomUUID(), accountId: 'nobody' })),
    {
      persistent: true,
      messageId,
      type: 'user.login.requested',
      contentType: 'application/json',
      correlationId: 'corr-1',
      appId: 'upstream',
      userId: 'xauth-orchestrator',
      headers,
    },
  );
  await o.asOrchestrator.waitForConfirms();
  return messageId;
}

describe('dead-letter office on a real RabbitMQ and PostgreSQL', function () {
  this.timeout(90_000);
  let o: Office;
  let extraTiers: number[] = [];
  afterEach(async () => {
    await o?.stop(extraTiers);
    extraTiers = [];
  });

  it('when a dead letter arrives, then it is stored with its body, properties, headers and reason fields, and acked', async () => {
    o = await startOffice();
    const messageId = await publishDeadLetter(o, { body: { requestId: 'r-1', accountId: 'nobody' } });
    const [row] = await waitUntil(async () => {
      const r = await o.rows();
      return r.length ? r : undefined;
    }, 'the stored dead letter');
    expect(row).to.include({
      message_id: messageId,
      original_queue: queueName(o.namespace, LOGIN_QUEUE),
      original_exchange: exchangeName(o.namespace, 'commands'),
      routing_key: 'user.login.requested',
      service: 'orchestrator',
      error_code: 'UNKNOWN_ACCOUNT',
      error_message: 'no profile is signed in to @nobody',
      attempts: 3,
      status: 'new',
      replay_count: 0,
    });
    expect(row.first_failure_at.toISOString()).to.equal('2026-11-22T07:00:00.000Z');
    expect(row.last_failure_at.toISOString()).to.equal('2026-11-22T07:00:05.000Z');
    expect(JSON.parse(row.body.toString('utf8'))).to.deep.equal({ requestId: 'r-1', accountId: 'nobody' });
    expect(row.properties).to.include({ messageId, correlationId: 'corr-1', appId: 'upstream', type: 'user.login.requested' });
    expect(row.headers).to.include({ 'ce-source': 'upstream', 'x-attempt': 3 });
    // Acked: nothing waits in the queue, and closing the office returns nothing to it.
    await o.office.stop();
    expect((await o.ch.checkQueue(queueName(o.namespace, 'dead-letters'))).messageCount).to.equal(0);
  });

  it('when its row cannot be committed, then the dead letter stays in the queue and is stored once the database takes it', async () => {
    o = await startOffice();
    await o.db.query(`ALTER TABLE "${o.schema}".dead_letters RENAME TO dead_letters_away`);
    const messageId = await publishDeadLetter(o);
    await waitUntil(() => o.lines.some((l) => l.includes('could not take a delivery')), 'a failed insert');
    await o.db.query(`ALTER TABLE "${o.schema}".dead_letters_away RENAME TO dead_letters`);
    const rows = await waitUntil(async () => {
      const r = await o.rows();
      return r.length ? r : undefined;
    }, 'the stored dead letter');
    expect(rows.map((r) => r.message_id)).to.deep.equal([messageId]);
  });

  it('when the same dead letter is delivered twice, then one row is stored', async () => {
    o = await startOffice();
    const messageId = await publishDeadLetter(o);
    await publishDeadLetter(o, { messageId });
    const other = await publishDeadLetter(o);
    await waitUntil(async () => (await o.rows('message_id = $1', [other])).length === 1, 'the third letter');
    await waitUntil(() => o.lines.filter((l) => l.includes('redelivery ignored')).length === 1, 'the duplicate seen');
    expect(await o.rows('message_id = $1', [messageId])).to.have.length(1);
  });

  it('when the broker dead-letters a message at the delivery limit, then it is stored with DELIVERY_LIMIT_EXCEEDED from x-death', async () => {
    o = await startOffice();
    const queue = queueName(o.namespace, LOGIN_QUEUE);
    const messageId = randomUUID();
    o.ch.publish(exchangeName(o.namespace, 'commands'), 'user.login.requested', Buffer.from('{"poison":true}'), {
      persistent: true,
      messageId,
      type: 'user.login.requested',
    });
    await o.ch.waitForConfirms();
    // A consumer that crashes on it every time: reject raises the quorum delivery count.
    const tag = (
      await o.ch.consume(queue, (m) => {
        if (m) o.ch.reject(m, true);
      })
    ).consumerTag;
    const [row] = await waitUntil(async () => {
      const r = await o.rows('message_id = $1', [messageId]);
      return r.length ? r : undefined;
    }, 'the broker dead letter');
    await o.ch.cancel(tag);
    expect(row).to.include({
      error_code: 'DELIVERY_LIMIT_EXCEEDED',
      original_queue: queue,
      original_exchange: exchangeName(o.namespace, 'commands'),
      routing_key: 'user.login.requested',
      service: 'orchestrator',
    });
    expect(row.error_message).to.contain('deliveries');
    expect(row.headers['x-death']).to.be.an('array');
  });

  it('when a handler throws on every delivery, then the letter is stored after the retry limit with the error; a secret-bearing one is stored redacted', async () => {
    o = await startOffice();
    extraTiers = [100, 200];
    const bus = await Bus.connect({
      url: 'amqp://guest:guest@127.0.0.1:5672',
      namespace: o.namespace,
      service: 'orchestrator',
      logger: createLogger({ service: 't', silent: true }),
      metrics: new Metrics('t'),
      retryTiersMs: extraTiers,
    });
    try {
      await bus.subscribe(
        'orchestrator.authorization-results',
        {
          'authorization.job.started': async () => {
            throw new Error('database said no');
          },
          'authorization.consent.captured': async () => {
            throw new ValidationError({ message: 'state does not match' });
          },
        },
        { prefetch: 5, maxAttempts: 3 },
      );
      const jobId = randomUUID();
      const started = await bus.publish('authorization.job.started', { jobId, profileId: 'p-1', workerId: 'w-1', startedAt: new Date().toISOString() });
      const captured = await bus.publish('authorization.consent.captured', { jobId, code: 'SECRET-CODE-123', state: 'SECRET-STATE-456' });

      const [crash] = await waitUntil(async () => {
        const r = await o.rows('message_id = $1', [started]);
        return r.length ? r : undefined;
      }, 'the crashing message stored');
      expect(crash).to.include({ error_code: 'INTERNAL', attempts: 3, routing_key: 'authorization.job.started', service: 'orchestrator' });
      expect(crash.error_message).to.contain('gave up after 3 attempts').and.contain('database said no');

      const [secret] = await waitUntil(async () => {
        const r = await o.rows('message_id = $1', [captured]);
        return r.length ? r : undefined;
      }, 'the secret-bearing message stored');
      expect(secret).to.include({ error_code: 'VALIDATION_FAILED', attempts: 1 });
      const view = await api(o, 'GET', `/${secret.id}`);
      expect(view.status).to.equal(200);
      expect(view.body.body).to.include({ jobId, code: '[REDACTED]', state: '[REDACTED]' });
      expect(JSON.stringify(view.body)).not.to.contain('SECRET-CODE-123').and.not.to.contain('SECRET-STATE-456');
      expect(secret.body.toString('utf8')).not.to.contain('SECRET-CODE-123');
    } finally {
      await bus.close();
    }
  });

  it('when a letter came from an exchange outside the namespace, then its replay is refused and other replays still go out', async () => {
    o = await startOffice();
    const stray = await publishDeadLetter(o, { exchange: 'somebody-elses-exchange' });
    const good = await publishDeadLetter(o);
    const rows = await waitUntil(async () => {
      const r = await o.rows();
      return r.length === 2 ? r : undefined;
    }, 'both letters');
    const id = (messageId: string) => rows.find((r) => r.message_id === messageId)!.id as string;
    const refused = await api(o, 'POST', `/${id(stray)}/replay`, { reason: 'try' });
    expect(refused.status).to.equal(409);
    expect(refused.body.code).to.equal('REPLAY_TARGET_UNKNOWN');
    const { queue } = await o.ch.assertQueue('', { exclusive: true });
    await o.ch.bindQueue(queue, exchangeName(o.namespace, 'commands'), 'user.login.requested');
    const replayed = await api(o, 'POST', `/${id(good)}/replay`, { reason: 'cause fixed' });
    expect(replayed.status).to.equal(200);
    expect(replayed.body).to.include({ status: 'replayed', replayCount: 1 });
    const copy = await waitUntil(async () => (await o.ch.get(queue, { noAck: true })) || undefined, 'the replayed copy');
    expect(copy.properties.messageId).to.equal(replayed.body.replayMessageId);
    expect(copy.properties.headers).to.include({ 'x-replay-of': good, 'x-attempt': 1 });
    const audit = await o.db.query(`SELECT action, actor, reason, replay_message_id FROM "${o.schema}".dead_letter_actions`);
    expect(audit.rows).to.deep.equal([{ action: 'replay', actor: 'ops-test', reason: 'cause fixed', replay_message_id: replayed.body.replayMessageId }]);
  });

  it('when the internal API is called without the internal token or without naming who acts, then 401 and 400', async () => {
    o = await startOffice();
    const anonymous = await fetch(`${o.office.url}/internal/v1/dead-letters`);
    expect(anonymous.status).to.equal(401);
    const nobody = await api(o, 'POST', '/discard', { filter: {}, reason: 'cleanup' }, { 'x-xauth-actor': '' });
    expect(nobody.status).to.equal(400);
    expect(nobody.body.message).to.contain('x-xauth-actor');
  });
});
