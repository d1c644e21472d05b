import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { refreshDueTokens, refreshToken } from '@xauth/orchestrator';
import { simProfileId } from '@xauth/x-sim';
import { getJson, getServiceToken, schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';

const isAccount = (accountId: string) => (r: { body: unknown }) => (r.body as { accountId?: string }).accountId === accountId;

async function login(stack: Stack, accountId: string): Promise<void> {
  const events = await stack.probe.listen('user.authenticated');
  const requestId = randomUUID();
  stack.probe.publishCommand('user.login.requested', { requestId, accountId });
  await events.waitFor((r) => (r.body as { requestId?: string }).requestId === requestId, 90_000, 'user.authenticated');
}

async function readToken(stack: Stack, accountId: string) {
  const jwt = await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret');
  return getJson(`${stack.gateway.url}/v1/accounts/${accountId}/token`, { authorization: `Bearer ${jwt}` });
}

/** Revokes at X the refresh token xauth holds, as a user removing the app would. */
async function revokeStoredRefreshToken(stack: Stack, accountId: string): Promise<void> {
  const { rows } = await stack.db.query(`SELECT refresh_token_enc FROM "${schemaOf(stack)}".tokens WHERE account_key = $1`, [accountId]);
  const refresh = stack.orchestrator.deps.keyring.decrypt(rows[0].refresh_token_enc, `${accountId}/xauth-dev`);
  const res = await fetch(`${stack.xsim.url}/2/oauth2/revoke`, {
    method: 'POST',
    body: new URLSearchParams({ token: refresh }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('xsim-client-id:xsim-client-secret').toString('base64')}`,
    },
  });
  expect(res.status).to.equal(200);
}

describe('keeping tokens alive (refresh with rotation)', function () {
  this.timeout(120_000);
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('when a token nears expiry, then the refresher rotates it and announces token.refreshed', async () => {
    // Tokens live 30 min at first, so a fresh one is already inside the 50-minute refresh window.
    stack = await startStack({ xsim: { tokenLifetimeSec: 1800 }, env: { REFRESH_INTERVAL_MS: '200', REFRESH_AHEAD_MS: '3000000' } });
    const refreshed = await stack.probe.listen('token.refreshed');
    await login(stack, 'xsim_user_021');
    const before = await readToken(stack, 'xsim_user_021');

    const first = await refreshed.waitFor(isAccount('xsim_user_021'), 30_000, 'token.refreshed');
    // From now on X hands out 2-hour tokens: the next refresh leaves the window and the refresher stops.
    stack.xsim.state.setTokenLifetime(7200);
    const settled = await refreshed.waitFor(
      (r) => isAccount('xsim_user_021')(r) && Date.parse((r.body as { expiresAt: string }).expiresAt) > Date.now() + 3_600_000,
      30_000,
      'a 2-hour token.refreshed',
    );
    expect(first.body).to.include({ accountId: 'xsim_user_021', app: 'xauth-dev' });
    expect(JSON.stringify(first.body)).not.to.match(/token"/i);

    const after = await readToken(stack, 'xsim_user_021');
    expect(after.status).to.equal(200);
    expect(after.body.accessToken).not.to.equal(before.body.accessToken);
    expect(after.body.expiresAt).to.equal((settled.body as { expiresAt: string }).expiresAt);
    expect((await getJson(`${stack.xsim.url}/2/users/me`, { authorization: `Bearer ${after.body.accessToken}` })).body.data.username).to.equal('xsim_user_021');
    const { rows } = await stack.db.query(`SELECT version, status FROM "${schemaOf(stack)}".tokens WHERE account_key = 'xsim_user_021'`);
    expect(rows[0]).to.include({ status: 'active' });
    expect(rows[0].version).to.be.at.least(2);
  });

  it('when X refuses the refresh token, then the token is dead, reauthorization is announced and, with AUTO_REAUTHORIZE, a new login restores it', async () => {
    stack = await startStack({ env: { AUTO_REAUTHORIZE: 'true', REFRESH_INTERVAL_MS: '3600000' } });
    const failed = await stack.probe.listen('token.refresh.failed');
    const reauth = await stack.probe.listen('user.reauthorization.required');
    const authenticated = await stack.probe.listen('user.authenticated');
    await login(stack, 'xsim_user_022');
    const old = await readToken(stack, 'xsim_user_022');

    await revokeStoredRefreshToken(stack, 'xsim_user_022');

    stack.probe.publishCommand('token.refresh.requested', { accountId: 'xsim_user_022' });
    expect((await failed.waitFor(isAccount('xsim_user_022'), 20_000, 'token.refresh.failed')).body).to.include({
      errorCode: 'REFRESH_TOKEN_INVALID',
      app: 'xauth-dev',
    });
    expect((await reauth.waitFor(isAccount('xsim_user_022'), 20_000, 'user.reauthorization.required')).body).to.include({ app: 'xauth-dev' });

    // The automatic new login opens the browser again and stores a fresh token.
    await authenticated.waitFor(
      (r) =>
        isAccount('xsim_user_022')(r) && (r.body as { cached: boolean }).cached === false && authenticated.all.filter(isAccount('xsim_user_022')).length >= 2,
      90_000,
      'the second user.authenticated',
    );
    const fresh = await waitUntil(
      async () => {
        const t = await readToken(stack!, 'xsim_user_022');
        return t.status === 200 && t.body.accessToken !== old.body.accessToken ? t : undefined;
      },
      20_000,
      'a fresh token',
    );
    expect((await getJson(`${stack.xsim.url}/2/users/me`, { authorization: `Bearer ${fresh.body.accessToken}` })).status).to.equal(200);
    expect(stack.xsim.state.stats().startsByProfile[simProfileId(22)]).to.equal(2);
  });

  it('when more tokens are due than one batch holds, then one tick drains them all', async () => {
    stack = await startStack({ xsim: { tokenLifetimeSec: 1800 }, env: { REFRESH_INTERVAL_MS: '3600000', REFRESH_AHEAD_MS: '3000000', REFRESH_BATCH: '1' } });
    await login(stack, 'xsim_user_025');
    await login(stack, 'xsim_user_026');
    stack.xsim.state.setTokenLifetime(7200);
    const outcomes = await refreshDueTokens(stack.orchestrator.deps);
    expect(outcomes).to.deep.equal({ refreshed: 2 });
  });

  it('when two replicas refresh the same token at once, then one spends the refresh token and the other stands aside', async () => {
    stack = await startStack({ env: { REFRESH_INTERVAL_MS: '3600000' } });
    await login(stack, 'xsim_user_024');
    // A slow X keeps the first refresh (and its committed in-flight claim) in flight while the second arrives.
    stack.xsim.state.addFault({ user: 'xsim_user_024', endpoint: 'token', latencyMs: 700, times: 1 });
    const deps = stack.orchestrator.deps;
    const first = refreshToken(deps, 'xsim_user_024', 'xauth-dev', { onlyIfDue: false });
    await waitUntil(
      async () =>
        (await stack!.db.query(`SELECT 1 FROM "${schemaOf(stack!)}".tokens WHERE account_key = 'xsim_user_024' AND refresh_started_at IS NOT NULL`)).rowCount,
      5_000,
      'the first refresh to claim the token',
    );
    const second = await refreshToken(deps, 'xsim_user_024', 'xauth-dev', { onlyIfDue: false });
    expect([await first, second]).to.deep.equal(['refreshed', 'busy']);
    expect((await readToken(stack, 'xsim_user_024')).status).to.equal(200);
  });

  it('when the refresh token is dead and nobody re-authorizes, then reading the token answers 409 REAUTHORIZATION_REQUIRED', async () => {
    stack = await startStack({ env: { REFRESH_INTERVAL_MS: '3600000' } });
    const failed = await stack.probe.listen('token.refresh.failed');
    await login(stack, 'xsim_user_023');
    await revokeStoredRefreshToken(stack, 'xsim_user_023');
    stack.probe.publishCommand('token.refresh.requested', { accountId: 'xsim_user_023' });
    await failed.waitFor(isAccount('xsim_user_023'), 20_000, 'token.refresh.failed');
    const read = await readToken(stack, 'xsim_user_023');
    expect(read.status).to.equal(409);
    expect(read.body).to.include({ code: 'REAUTHORIZATION_REQUIRED' });
  });
});
