import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { exchangeName } from '@xauth/contracts';
import { schemaName } from '@xauth/shared';
import { AMQP_URL, TcpProxy, schemaOf, startStack, waitUntil, type Received, type Stack } from '../src/index.js';

const REQUESTS = 2_000;
/** Accounts with a profile: the first request of each runs a browser, the rest join it or hit the stored token. */
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `xsim_user_0${String(i + 11).padStart(2, '0')}`);
/** Every 20th request names an account nobody is signed in to: answered failed, then dead-lettered. */
const unknownAccount = (i: number) => `nobody_${String(i).padStart(5, '0')}`;

const requestIdOf = (r: Received) => (r.body as { requestId?: string }).requestId;

describe('broker link cut while logins flow (TCP proxy between the services and RabbitMQ)', function () {
  this.timeout(600_000);
  let stack: Stack;
  let proxy: TcpProxy;

  beforeEach(async () => {
    proxy = await TcpProxy.open('127.0.0.1', 5672);
    stack = await startStack({ env: { AMQP_URL: `amqp://${proxy.address}`, OUTBOX_POLL_MS: '100' }, xsim: { interstitialMs: 50 } });
  });
  afterEach(async () => {
    await stack?.stop();
    await proxy?.close();
  });

  it('when the link is cut three times during 2,000 login requests, then every requestId ends exactly once and none produced two jobs', async () => {
    const outcomes = await stack.probe.listen('user.#');
    const requests = Array.from({ length: REQUESTS }, (_, i) => ({
      requestId: randomUUID(),
      accountId: i % 20 === 19 ? unknownAccount(i) : ACCOUNTS[i % ACCOUNTS.length]!,
    }));
    // The upstream publishes on its own direct link, with confirms, so nothing is lost before xauth.
    const conn = await amqplib.connect(AMQP_URL);
    const pub = await conn.createConfirmChannel();
    const publishing = (async () => {
      for (const r of requests) {
        pub.publish(exchangeName(stack.namespace, 'commands'), 'user.login.requested', Buffer.from(JSON.stringify(r)), {
          persistent: true,
          messageId: randomUUID(),
          type: 'user.login.requested',
          contentType: 'application/json',
        });
      }
      await pub.waitForConfirms();
    })();

    const terminal = () => new Set(outcomes.all.filter((o) => /^user\.authenticat/.test(o.routingKey)).map(requestIdOf));
    for (const share of [0.15, 0.45, 0.75]) {
      await waitUntil(() => terminal().size >= REQUESTS * share || undefined, 300_000, `${share * 100}% of the outcomes`);
      proxy.cut();
    }
    await publishing;
    await conn.close();

    // Every request ends: an outcome event, or (if it never got one) a dead letter naming it.
    const ids = new Set<string>(requests.map((r) => r.requestId));
    await waitUntil(() => terminal().size >= ids.size || undefined, 300_000, 'an outcome for every request').catch((err: Error) => {
      const seen = terminal();
      const left = requests.filter((r) => !seen.has(r.requestId));
      const accounts = [...new Set(left.map((r) => r.accountId))].slice(0, 20);
      throw new Error(`${err.message}: ${left.length} without an outcome (accounts ${accounts.join(', ')})`);
    });
    // Everything the orchestrator committed has been published (a resend keeps the messageId).
    await waitUntil(
      async () => {
        const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(stack)}".outbox WHERE sent_at IS NULL`);
        return rows[0].n === 0 || undefined;
      },
      60_000,
      'the outbox to drain',
    );

    const byRequest = new Map<string, Set<string>>();
    for (const o of outcomes.all.filter((e) => /^user\.authenticat/.test(e.routingKey))) {
      const id = requestIdOf(o)!;
      if (!byRequest.has(id)) byRequest.set(id, new Set());
      byRequest.get(id)!.add(String(o.properties.messageId));
    }
    const missing = [...ids].filter((id) => !byRequest.has(id));
    const twice = [...byRequest].filter(([, mids]) => mids.size > 1);
    expect(missing, 'requests without an outcome').to.deep.equal([]);
    expect(twice, 'requests with two different outcomes').to.deep.equal([]);
    expect([...byRequest.keys()].filter((id) => !ids.has(id))).to.deep.equal([]);

    const unknown = requests.filter((r) => r.accountId.startsWith('nobody_'));
    const failed = outcomes.all.filter((e) => e.routingKey.startsWith('user.authentication.failed'));
    expect(new Set(failed.map(requestIdOf))).to.have.lengthOf(unknown.length);

    // One job per account, and no request points at two: the login_requests row is the request's only record.
    const db = schemaOf(stack);
    const jobs = await stack.db.query(`SELECT account_id, count(*)::int AS n FROM "${db}".authorization_jobs GROUP BY account_id`);
    expect(
      jobs.rows.map((r: { n: number }) => r.n),
      'jobs per account',
    ).to.deep.equal(ACCOUNTS.map(() => 1));
    const rows = await stack.db.query(`SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS d FROM "${db}".login_requests`);
    expect(rows.rows[0]).to.deep.equal({ n: REQUESTS, d: REQUESTS });

    // The refused ones were dead-lettered with their reason (stored by the office); nothing else was.
    // At most one per refused request and message (a refusal whose dead-lettering was cut short is
    // still answered: the failed event was committed with the refusal).
    const letters = await waitUntil(
      async () => {
        const { rows } = await stack.db.query(
          `SELECT error_code, count(*)::int AS n FROM "${schemaName(stack.namespace, 'dead_letters')}".dead_letters GROUP BY error_code`,
        );
        return rows.length ? (rows as Array<{ error_code: string; n: number }>) : undefined;
      },
      30_000,
      'stored dead letters',
    );
    expect(letters.map((r) => r.error_code)).to.deep.equal(['UNKNOWN_ACCOUNT']);
    expect(letters[0]!.n).to.be.at.most(unknown.length);
    expect(proxy.cuts, 'connections the proxy dropped').to.be.at.least(3);
  });
});
