import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { queueName } from '@xauth/contracts';
import { simProfileId } from '@xauth/x-sim';
import { getJson, getServiceToken, schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';

const ACCOUNT = 'xsim_user_007';
const isFor = (requestId: string) => (r: { body: unknown }) => (r.body as { requestId?: string }).requestId === requestId;

describe('one login request, end to end (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(120_000);
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack({
      env: { BOOTSTRAP_CLIENTS: JSON.stringify([{ clientId: 'login-only', clientSecret: 'login-only-secret-123', scopes: ['logins:write'] }]) },
    });
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('when user.login.requested is published, then user.authenticated arrives and the token read over REST works at X', async () => {
    const events = await stack.probe.listen('user.authenticated');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: ACCOUNT });

    const ev = await events.waitFor(isFor(requestId), 90_000, 'user.authenticated');
    const user = stack.xsim.state.userList().find((u) => u.username === ACCOUNT)!;
    expect(ev.body).to.include({ requestId, accountId: ACCOUNT, xUserId: user.id, cached: false, app: 'xauth-dev' });
    expect(ev.properties.type).to.equal('user.authenticated');
    expect(ev.properties.headers?.cloudEvents_dataschema).to.equal('urn:xauth:schema:user.authenticated:v1');
    expect(JSON.stringify(ev.body)).not.to.match(/access_?token|refresh_?token/i);

    const jwt = await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret');
    const tok = await getJson(`${stack.gateway.url}/v1/accounts/${ACCOUNT}/token`, { authorization: `Bearer ${jwt}` });
    expect(tok.status).to.equal(200);
    expect(tok.body).to.include({ tokenType: 'bearer' });
    expect(tok.body.scopes).to.contain('users.read');
    const me = await getJson(`${stack.xsim.url}/2/users/me`, { authorization: `Bearer ${tok.body.accessToken}` });
    expect(me.status).to.equal(200);
    expect(me.body.data).to.include({ username: ACCOUNT, id: user.id });

    const job = await getJson(`${stack.gateway.url}/v1/jobs/${(ev.body as { jobId: string }).jobId}`, { authorization: `Bearer ${jwt}` });
    expect(job.body).to.include({ status: 'succeeded', accountId: ACCOUNT, profileId: simProfileId(7) });

    // The stored token columns hold ciphertext, never the token.
    const { rows } = await stack.db.query(`SELECT access_token_enc, refresh_token_enc FROM "${schemaOf(stack)}".tokens`);
    expect(rows).to.have.length(1);
    expect(rows[0].access_token_enc)
      .to.match(/^v1\.[A-Za-z0-9_-]+\./)
      .and.not.contain(tok.body.accessToken);
    expect(rows[0].refresh_token_enc).to.match(/^v1\./);
    // And no secret reached any log line.
    expect(stack.logs.join('\n')).not.to.contain(tok.body.accessToken);
    expect(stack.logs.join('\n')).not.to.contain('xsim-client-secret');
  });

  it('when the token route is called without a JWT or without tokens:read, then 401 and 403 with JSON error bodies', async () => {
    const url = `${stack.gateway.url}/v1/accounts/${ACCOUNT}/token`;
    const anonymous = await getJson(url);
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body).to.include({ code: 'UNAUTHENTICATED' });
    expect(anonymous.body.requestId).to.be.a('string').and.not.empty;

    const jwt = await getServiceToken(stack.gateway.url, 'login-only', 'login-only-secret-123');
    const forbidden = await getJson(url, { authorization: `Bearer ${jwt}` });
    expect(forbidden.status).to.equal(403);
    expect(forbidden.body).to.include({ code: 'FORBIDDEN' });
    expect(forbidden.body.message).to.contain('tokens:read');
  });

  it('when the same requestId arrives twice, then one browser session runs; a later request is answered from the stored token', async () => {
    const events = await stack.probe.listen('user.authenticated');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: ACCOUNT });
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: ACCOUNT });
    await events.waitFor(isFor(requestId), 90_000, 'user.authenticated');
    // Both deliveries processed (the inbox holds both message ids), and only one outcome was written.
    await waitUntil(
      async () => (await stack.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(stack)}".inbox WHERE consumer = 'login-requested'`)).rows[0].n === 2,
      20_000,
      'both deliveries processed',
    );
    const outcomes = await stack.db.query(
      `SELECT count(*)::int AS n FROM "${schemaOf(stack)}".outbox WHERE type = 'user.authenticated' AND payload->>'requestId' = $1`,
      [requestId],
    );
    expect(outcomes.rows[0].n).to.equal(1);
    expect(stack.xsim.state.stats().startsByProfile[simProfileId(7)]).to.equal(1);

    const second = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId: second, accountId: ACCOUNT });
    const cached = await events.waitFor(isFor(second), 30_000, 'cached user.authenticated');
    expect(cached.body).to.include({ cached: true, jobId: null, accountId: ACCOUNT });
    expect(stack.xsim.state.stats().startsByProfile[simProfileId(7)]).to.equal(1);

    const forced = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId: forced, accountId: ACCOUNT, force: true });
    expect((await events.waitFor(isFor(forced), 90_000, 'forced user.authenticated')).body).to.include({ cached: false });
    expect(stack.xsim.state.stats().startsByProfile[simProfileId(7)]).to.equal(2);
  });

  it('when several requests for one account arrive at once, then they share one browser session and all are answered', async () => {
    const events = await stack.probe.listen('user.authenticated');
    const requestIds = Array.from({ length: 5 }, () => randomUUID());
    for (const requestId of requestIds) stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_040' });
    const answers = await Promise.all(requestIds.map((id) => events.waitFor(isFor(id), 90_000, `user.authenticated for ${id}`)));
    expect(stack.xsim.state.stats().startsByProfile[simProfileId(40)]).to.equal(1);
    // Each answer comes from the one job, or from the token it stored.
    const jobIds = new Set(answers.map((a) => (a.body as { jobId: string | null }).jobId).filter(Boolean));
    expect(jobIds.size).to.equal(1);
    for (const a of answers) expect((a.body as { jobId: string | null; cached: boolean }).cached).to.equal((a.body as { jobId: string | null }).jobId === null);
  });

  it('when a login names an account whose profile appeared after the last sync, then profiles are re-read and the login proceeds', async () => {
    // As if the profile had been created in GoLogin after the orchestrator's last sync.
    await stack.db.query(`DELETE FROM "${schemaOf(stack)}".profiles WHERE account_key = 'xsim_user_030'`);
    const events = await stack.probe.listen('user.authenticated');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_030' });
    expect((await events.waitFor(isFor(requestId), 90_000, 'user.authenticated')).body).to.include({ accountId: 'xsim_user_030', cached: false });
  });

  it('when a message is not JSON or violates the schema, then it is dead-lettered with its reason and the consumer goes on', async () => {
    const failed = await stack.probe.listen('user.authentication.failed');
    stack.probe.publishCommand('user.login.requested', 'this is {not json');
    const notJson = await stack.probe.waitForDeadLetter((r) => r.raw === 'this is {not json');
    expect(notJson.properties.headers).to.include({
      'x-error-code': 'MESSAGE_UNPARSEABLE',
      'x-original-routing-key': 'user.login.requested',
      'x-original-queue': queueName(stack.namespace, 'orchestrator.login-requests'),
      'x-service': 'orchestrator',
    });

    stack.probe.publishCommand('user.login.requested', { accountId: ACCOUNT, requestId: 'not-a-uuid' });
    const invalid = await stack.probe.waitForDeadLetter((r) => (r.body as { requestId?: string }).requestId === 'not-a-uuid');
    expect(invalid.properties.headers?.['x-error-code']).to.equal('VALIDATION_FAILED');
    expect(String(invalid.properties.headers?.['x-error-message'])).to.contain('requestId');

    const unknown = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId: unknown, accountId: 'nobody_here' });
    const answer = await failed.waitFor(isFor(unknown), 20_000, 'user.authentication.failed');
    expect(answer.body).to.include({ errorCode: 'UNKNOWN_ACCOUNT', accountId: 'nobody_here' });
    const dl = await stack.probe.waitForDeadLetter((r) => (r.body as { requestId?: string }).requestId === unknown);
    expect(dl.properties.headers?.['x-error-code']).to.equal('UNKNOWN_ACCOUNT');

    // The consumer is still alive and serving.
    const events = await stack.probe.listen('user.authenticated');
    const ok = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId: ok, accountId: 'xsim_user_011' });
    expect((await events.waitFor(isFor(ok), 90_000, 'user.authenticated')).body).to.include({ accountId: 'xsim_user_011' });
  });
});
