import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { exchangeName, queueName } from '@xauth/contracts';
import { schemaName } from '@xauth/shared';
import { getJson, getServiceToken, postJson, schemaOf, startStack, waitUntil, type Received, type Stack } from '../src/index.js';

const ACCOUNT = 'xsim_user_030';
const isFor = (requestId: string) => (r: { body: unknown }) => (r.body as { requestId?: string }).requestId === requestId;

describe('dead-letter office through the gateway (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(180_000);
  let stack: Stack;
  let auth: Record<string, string>;
  const url = (path = '') => `${stack.gateway.url}/v1/dead-letters${path}`;
  const office = () => schemaName(stack.namespace, 'dead_letters');

  beforeEach(async () => {
    stack = await startStack({
      env: {
        MAX_REPLAYS: '2',
        PROFILE_SYNC_MIN_GAP_MS: '0',
        BOOTSTRAP_CLIENTS: JSON.stringify([{ clientId: 'reader', clientSecret: 'reader-secret-12345', scopes: ['jobs:read', 'tokens:read'] }]),
      },
    });
    auth = { authorization: `Bearer ${await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret')}` };
  });
  afterEach(async () => {
    await stack?.stop();
  });

  /** A login for an account the orchestrator cannot map (GoLogin failing), dead-lettered as UNKNOWN_ACCOUNT. */
  async function unknownAccountLetter(requestId: string): Promise<{ id: string; messageId: string }> {
    await stack.db.query(`DELETE FROM "${schemaOf(stack)}".profiles WHERE account_key = $1`, [ACCOUNT]);
    stack.xsim.state.addFault({ endpoint: 'gologin', status5xx: true });
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: ACCOUNT });
    await stack.probe.waitForDeadLetter(isFor(requestId), 30_000);
    const list = await getJson(`${url()}?errorCode=UNKNOWN_ACCOUNT`, auth);
    const letter = list.body.items.find((d: { body: { requestId?: string } }) => d.body.requestId === requestId);
    return { id: letter.id, messageId: letter.messageId };
  }

  it('when a dead letter is replayed after its cause is fixed, then it is processed exactly once; replays past MAX_REPLAYS are refused with REPLAY_LIMIT_REACHED', async () => {
    const requestId = randomUUID();
    const letter = await unknownAccountLetter(requestId);
    // What the office republishes, seen on the commands exchange.
    const { queue } = await stack.probe.ch.assertQueue('', { exclusive: true, autoDelete: true });
    await stack.probe.ch.bindQueue(queue, exchangeName(stack.namespace, 'commands'), 'user.login.requested');
    const republished: Received[] = [];
    await stack.probe.ch.consume(
      queue,
      (m) => {
        if (m) republished.push({ routingKey: m.fields.routingKey, body: JSON.parse(m.content.toString()), raw: '', properties: m.properties });
      },
      { noAck: true },
    );
    const authenticated = await stack.probe.listen('user.authenticated');

    stack.xsim.state.reset(); // the cause is fixed: GoLogin lists the profile again
    const first = await postJson(url(`/${letter.id}/replay`), { reason: 'GoLogin is back' }, auth);
    expect(first.status).to.equal(200);
    expect(first.body).to.include({ status: 'replayed', replayCount: 1 });
    await authenticated.waitFor(isFor(requestId), 120_000, 'user.authenticated after the replay');

    const copy = republished.find((r) => r.properties.messageId === first.body.replayMessageId)!;
    expect(copy.body).to.deep.equal({ requestId, accountId: ACCOUNT });
    expect(copy.properties.headers).to.include({ 'x-replay-of': letter.messageId, 'x-attempt': 1 });
    // Republished under the office's own broker user, which the orchestrator takes for a replay.
    expect(copy.properties.userId).to.equal('xauth-dead-letters');
    expect(copy.properties.headers).not.to.have.any.keys('x-error-code', 'x-original-queue', 'x-first-failure-at');

    // A second replay (within the cap) is consumed, and changes nothing: the request already succeeded.
    const second = await postJson(url(`/${letter.id}/replay`), { reason: 'again' }, auth);
    expect(second.status).to.equal(200);
    await waitUntil(
      async () => (await stack.db.query(`SELECT 1 FROM "${schemaOf(stack)}".inbox WHERE message_id = $1`, [second.body.replayMessageId])).rowCount === 1,
      30_000,
      'the second replay consumed',
    );
    await waitUntil(
      async () => (await stack.db.query(`SELECT 1 FROM "${schemaOf(stack)}".outbox WHERE sent_at IS NULL`)).rowCount === 0,
      30_000,
      'the outbox drained',
    );
    expect(authenticated.all.filter(isFor(requestId))).to.have.length(1);

    for (let i = 0; i < 2; i++) {
      const refused = await postJson(url(`/${letter.id}/replay`), { reason: 'one more time' }, auth);
      expect(refused.status).to.equal(409);
      expect(refused.body.code).to.equal('REPLAY_LIMIT_REACHED');
      expect(refused.body.message).to.contain('MAX_REPLAYS=2');
    }
    const shown = await getJson(url(`/${letter.id}`), auth);
    expect(shown.body.actions.map((a: { action: string; actor: string; reason: string }) => [a.action, a.actor, a.reason])).to.deep.equal([
      ['replay', 'dev-admin', 'GoLogin is back'],
      ['replay', 'dev-admin', 'again'],
    ]);
  });

  it('when dead letters are listed, counted, discarded and replayed by filter, then filters narrow, discarded letters are kept and every action is audited', async () => {
    stack.probe.publishCommand('user.login.requested', 'not json at all');
    stack.probe.publishCommand('user.login.requested', { requestId: 'not-a-uuid', accountId: 'x' });
    stack.probe.publishCommand('user.login.requested', { requestId: 'also-not-a-uuid', accountId: 'x' });
    await waitUntil(async () => (await getJson(`${url('/counts')}`, auth)).body.total === 3, 30_000, 'three dead letters');

    const counts = await getJson(url('/counts'), auth);
    expect(counts.body.byErrorCode).to.deep.equal([
      { errorCode: 'VALIDATION_FAILED', count: 2 },
      { errorCode: 'MESSAGE_UNPARSEABLE', count: 1 },
    ]);
    expect(counts.body.byQueue).to.deep.equal([{ queue: queueName(stack.namespace, 'orchestrator.login-requests'), count: 3 }]);
    const invalid = await getJson(`${url()}?errorCode=VALIDATION_FAILED&limit=1`, auth);
    expect(invalid.body).to.include({ total: 2, limit: 1, offset: 0 });
    expect(invalid.body.items).to.have.length(1);
    expect((await getJson(`${url()}?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, auth)).body.total).to.equal(0);
    const bad = await getJson(`${url()}?status=lost`, auth);
    expect(bad.status).to.equal(400);

    const dry = await postJson(url('/discard'), { filter: { errorCode: 'VALIDATION_FAILED' }, reason: 'bad upstream', dryRun: true }, auth);
    expect(dry.body).to.include({ dryRun: true, matched: 2 });
    expect(dry.body.done).to.deep.equal([]);
    const discarded = await postJson(url('/discard'), { filter: { errorCode: 'VALIDATION_FAILED' }, reason: 'bad upstream' }, auth);
    expect(discarded.body.done).to.have.length(2);
    expect((await getJson(`${url()}?status=discarded`, auth)).body.total).to.equal(2);
    const again = await postJson(url(`/${discarded.body.done[0].id}/replay`), { reason: 'oops' }, auth);
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('DEAD_LETTER_DISCARDED');

    const replayed = await postJson(url('/replay'), { filter: { errorCode: 'MESSAGE_UNPARSEABLE' }, reason: 'see it fail again', rate: 5 }, auth);
    expect(replayed.body).to.include({ matched: 1 });
    expect(replayed.body.done).to.have.length(1);
    // Still not JSON: dead-lettered again, as a new letter (new messageId) pointing at the first.
    await waitUntil(
      async () => (await getJson(`${url()}?errorCode=MESSAGE_UNPARSEABLE&status=new`, auth)).body.total === 1,
      30_000,
      'the replay dead-lettered again',
    );

    const audit = await stack.db.query(`SELECT action, actor, reason FROM "${office()}".dead_letter_actions ORDER BY id`);
    expect(audit.rows).to.deep.equal([
      { action: 'discard', actor: 'dev-admin', reason: 'bad upstream' },
      { action: 'discard', actor: 'dev-admin', reason: 'bad upstream' },
      { action: 'replay', actor: 'dev-admin', reason: 'see it fail again' },
    ]);
  });

  it('when the dead-letter routes are called without a token or without dlq:admin, then 401 and 403', async () => {
    expect((await getJson(url())).status).to.equal(401);
    const reader = { authorization: `Bearer ${await getServiceToken(stack.gateway.url, 'reader', 'reader-secret-12345')}` };
    const forbidden = await getJson(url(), reader);
    expect(forbidden.status).to.equal(403);
    expect(forbidden.body).to.include({ code: 'FORBIDDEN' });
    expect(forbidden.body.message).to.contain('dlq:admin');
    expect((await postJson(url('/replay'), { filter: {}, reason: 'x' }, reader)).status).to.equal(403);
  });
});
