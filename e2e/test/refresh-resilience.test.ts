import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Keyring } from '@xauth/shared';
import { refreshDueTokens, refreshToken } from '@xauth/orchestrator';
import { REDIRECT_URI, schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';

const SCOPES = ['tweet.read', 'users.read', 'offline.access'];
const OTHER_APP = { name: 'other-app', clientId: 'other-client-id', clientSecret: 'other-client-secret' };
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/xauth', import.meta.url));
const isAccount = (accountId: string) => (r: { body: unknown }) => (r.body as { accountId?: string }).accountId === accountId;

/**
 * Puts a token in place as a finished login would: X (x-sim) issues the pair, the orchestrator's
 * own store keeps it encrypted. Expires in `lifetimeSec`, so it is due when that is inside REFRESH_AHEAD_MS.
 */
async function seedToken(
  stack: Stack,
  accountId: string,
  opts: { app?: string; clientId?: string; lifetimeSec?: number; keyring?: Keyring } = {},
): Promise<string> {
  const app = opts.app ?? 'xauth-dev';
  const issued = stack.xsim.state.tokens.issue(opts.clientId ?? 'xsim-client-id', accountId, SCOPES, opts.lifetimeSec ?? 1800);
  const keyring = opts.keyring ?? stack.orchestrator.deps.keyring;
  const aad = `${accountId.toLowerCase()}/${app}`;
  await stack.orchestrator.deps.store.transaction((tx) =>
    tx.saveToken({
      accountId,
      app,
      xUserId: `id-${accountId}`,
      scopes: SCOPES.join(' '),
      expiresAt: new Date(Date.now() + (opts.lifetimeSec ?? 1800) * 1000),
      accessTokenEnc: keyring.encrypt(issued.accessToken, aad),
      refreshTokenEnc: keyring.encrypt(issued.refreshToken!, aad),
    }),
  );
  return issued.refreshToken!;
}

async function tokenRows(
  stack: Stack,
  where = 'true',
): Promise<
  Array<{ account_id: string; app: string; status: string; failures: number; next_attempt_at: Date | null; last_error_code: string | null; version: number }>
> {
  return (
    await stack.db.query(
      `SELECT account_id, app, status, failures, next_attempt_at, last_error_code, version FROM "${schemaOf(stack)}".tokens WHERE ${where} ORDER BY account_key`,
    )
  ).rows;
}

function xauth(stack: Stack, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { PATH: process.env.PATH ?? '', XAUTH_GATEWAY_URL: stack.gateway.url }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('refresh that configuration and one bad account cannot kill', function () {
  this.timeout(120_000);
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  // Tokens live 30 min and REFRESH_AHEAD_MS is 50 min: every seeded token is due at once.
  const due = { REFRESH_AHEAD_MS: '3000000', REFRESH_BACKOFF_BASE_MS: '300', REFRESH_BACKOFF_MAX_MS: '2000' };

  it("when the app's secret is wrong for a while, then no token is marked dead, and once it is right again refresh resumes by itself", async () => {
    // The app's breaker opens on the refused secret; a short window lets its probe find the fix soon.
    stack = await startStack({ inProcessWorker: false, env: { ...due, REFRESH_INTERVAL_MS: '200', BREAKER_OPEN_MS: '1000', BREAKER_MAX_OPEN_MS: '2000' } });
    const simApp = stack.xsim.state.options.apps[0]!;
    // X's side no longer accepts the secret the orchestrator has (rotated in the portal, say).
    simApp.clientSecret = 'rotated-elsewhere';
    const failed = await stack.probe.listen('token.refresh.failed');
    const refreshed = await stack.probe.listen('token.refreshed');
    for (const a of ['cfg_a', 'cfg_b', 'cfg_c']) await seedToken(stack, a);

    await waitUntil(
      () => stack!.logs.filter((l) => l.includes('APP_CONFIG_INVALID') || l.includes('rejected the app')).length >= 3,
      30_000,
      "refreshes refused for the app's credentials, round after round",
    );
    const during = await tokenRows(stack);
    expect(during.map((r) => [r.status, r.failures])).to.deep.equal([
      ['active', 0],
      ['active', 0],
      ['active', 0],
    ]);
    expect(failed.all).to.have.length(0);

    simApp.clientSecret = 'xsim-client-secret';
    for (const a of ['cfg_a', 'cfg_b', 'cfg_c']) await refreshed.waitFor(isAccount(a), 30_000, `token.refreshed for ${a}`);
    expect((await tokenRows(stack)).map((r) => r.status)).to.deep.equal(['active', 'active', 'active']);
    expect(failed.all).to.have.length(0);
  });

  it('when 200 tokens of another app fail every time, then they back off on their own and the others still refresh', async () => {
    stack = await startStack({
      inProcessWorker: false,
      xsim: {
        apps: [
          { name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUris: [REDIRECT_URI] },
          { ...OTHER_APP, redirectUris: [REDIRECT_URI] },
        ],
      },
      env: {
        ...due,
        REFRESH_INTERVAL_MS: '3600000',
        REFRESH_BATCH: '50',
        REFRESH_BACKOFF_BASE_MS: '600000',
        REFRESH_BACKOFF_MAX_MS: '600000',
        // The tokens' own backoff is what this shows; the app's breaker would hide it (circuit-breakers.test covers that).
        BREAKER_FAILURE_THRESHOLD: '100000',
        X_APPS: JSON.stringify([
          { name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUri: REDIRECT_URI },
          { ...OTHER_APP, redirectUri: REDIRECT_URI },
        ]),
      },
    });
    stack.xsim.state.addFault({ clientId: OTHER_APP.clientId, endpoint: 'token', status5xx: 503 });
    // The failing app's tokens expire first, so they would sort first in every batch.
    for (let i = 0; i < 200; i++) await seedToken(stack, `bulk_${i}`, { app: OTHER_APP.name, clientId: OTHER_APP.clientId, lifetimeSec: 1200 });
    await seedToken(stack, 'fine_a');
    await seedToken(stack, 'fine_b');

    const outcomes = await refreshDueTokens(stack.orchestrator.deps);
    expect(outcomes).to.deep.equal({ X_UNAVAILABLE: 200, refreshed: 2 });
    const failing = await tokenRows(stack, `app = '${OTHER_APP.name}'`);
    expect(
      failing.every((r) => r.status === 'active' && r.failures === 1 && r.last_error_code === 'X_UNAVAILABLE' && r.next_attempt_at! > new Date()),
    ).to.equal(true);
    // The next round does not even select them.
    expect(await refreshDueTokens(stack.orchestrator.deps)).to.deep.equal({});
  });

  it('when X rotates the token but answers after the client timeout, then the token is not spent again; the next round announces reauthorization (and re-authorizes with AUTO_REAUTHORIZE)', async () => {
    stack = await startStack({
      inProcessWorker: false,
      env: { ...due, REFRESH_INTERVAL_MS: '3600000', X_HTTP_TIMEOUT_MS: '500', REFRESH_LEASE_MS: '5000', AUTO_REAUTHORIZE: 'true' },
    });
    const failed = await stack.probe.listen('token.refresh.failed');
    const reauth = await stack.probe.listen('user.reauthorization.required');
    await seedToken(stack, 'xsim_user_031');
    const issuedBefore = stack.xsim.state.stats().tokensIssued;
    stack.xsim.state.addFault({ user: 'xsim_user_031', endpoint: 'token', latencyAfterMs: 1500, times: 1 });

    const err = await refreshToken(stack.orchestrator.deps, 'xsim_user_031', 'xauth-dev', { onlyIfDue: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).to.equal('REFRESH_OUTCOME_UNKNOWN');
    expect(stack.xsim.state.stats().tokensIssued, 'X did rotate it').to.equal(issuedBefore + 1);
    expect((await tokenRows(stack))[0]).to.include({ status: 'outcome_unknown', last_error_code: 'REFRESH_OUTCOME_UNKNOWN' });

    expect(await refreshDueTokens(stack.orchestrator.deps)).to.deep.equal({ outcome_unknown: 1 });
    expect((await failed.waitFor(isAccount('xsim_user_031'), 20_000, 'token.refresh.failed')).body).to.include({ errorCode: 'REFRESH_OUTCOME_UNKNOWN' });
    expect((await reauth.waitFor(isAccount('xsim_user_031'), 20_000, 'user.reauthorization.required')).body).to.include({ app: 'xauth-dev' });
    // No second spend: that would have been refused (REFRESH_TOKEN_INVALID), and X issued nothing more.
    expect(failed.all.map((r) => (r.body as { errorCode: string }).errorCode)).to.deep.equal(['REFRESH_OUTCOME_UNKNOWN']);
    expect(stack.xsim.state.stats().tokensIssued).to.equal(issuedBefore + 1);
    expect((await tokenRows(stack))[0]).to.include({ status: 'dead' });
    // AUTO_REAUTHORIZE: a forced login was requested, so a new authorization job exists.
    await waitUntil(
      async () => (await stack!.db.query(`SELECT 1 FROM "${schemaOf(stack!)}".authorization_jobs WHERE account_key = 'xsim_user_031'`)).rowCount,
      20_000,
      'a new authorization job',
    );
  });

  it('when a replica died with a refresh in flight, then after the lease the token is announced for reauthorization, never spent blindly', async () => {
    stack = await startStack({ inProcessWorker: false, env: { ...due, REFRESH_INTERVAL_MS: '3600000', X_HTTP_TIMEOUT_MS: '500', REFRESH_LEASE_MS: '1000' } });
    const reauth = await stack.probe.listen('user.reauthorization.required');
    await seedToken(stack, 'crashed_x');
    await stack.db.query(`UPDATE "${schemaOf(stack)}".tokens SET refresh_started_at = now() - interval '2 seconds' WHERE account_key = 'crashed_x'`);
    const issuedBefore = stack.xsim.state.stats().tokensIssued;

    expect(await refreshDueTokens(stack.orchestrator.deps)).to.deep.equal({ outcome_unknown: 1 });
    expect((await reauth.waitFor(isAccount('crashed_x'), 20_000, 'user.reauthorization.required')).body).to.include({ app: 'xauth-dev' });
    expect(stack.xsim.state.stats().tokensIssued).to.equal(issuedBefore);
    expect((await tokenRows(stack))[0]).to.include({ status: 'dead', last_error_code: 'REFRESH_OUTCOME_UNKNOWN' });
  });

  it('when a refresh token cannot be decrypted (its key is missing), then X is not called and the token backs off alive', async () => {
    stack = await startStack({ inProcessWorker: false, env: { ...due, REFRESH_INTERVAL_MS: '3600000' } });
    await seedToken(stack, 'nokey_x', { keyring: new Keyring(Keyring.generateSpec('gone')) });
    const issuedBefore = stack.xsim.state.stats().tokensIssued;
    expect(await refreshDueTokens(stack.orchestrator.deps)).to.deep.equal({ DECRYPTION_FAILED: 1 });
    expect((await tokenRows(stack))[0]).to.include({ status: 'active', failures: 1, last_error_code: 'DECRYPTION_FAILED' });
    expect(stack.xsim.state.stats().tokensIssued).to.equal(issuedBefore);
  });

  it("when an operator rechecks an app's dead tokens with the CLI, then one killed wrongly is active again and a really dead one stays dead", async () => {
    stack = await startStack({ inProcessWorker: false, env: { REFRESH_INTERVAL_MS: '3600000' } });
    const refreshed = await stack.probe.listen('token.refreshed');
    await seedToken(stack, 'wrongly_dead');
    const revoked = await seedToken(stack, 'really_dead');
    stack.xsim.state.tokens.revoke(revoked);
    await stack.db.query(`UPDATE "${schemaOf(stack)}".tokens SET status = 'dead', last_error_code = 'REFRESH_TOKEN_INVALID'`);

    const run = await xauth(stack, ['tokens', 'recheck', '--app', 'xauth-dev', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ app: 'xauth-dev', checked: 2, revived: ['wrongly_dead'], stillDead: 1, failed: {} });
    await refreshed.waitFor(isAccount('wrongly_dead'), 20_000, 'token.refreshed for the revived token');
    expect((await tokenRows(stack)).map((r) => [r.account_id, r.status])).to.deep.equal([
      ['really_dead', 'dead'],
      ['wrongly_dead', 'active'],
    ]);
    const text = await xauth(stack, ['tokens', 'recheck', '--app', 'xauth-dev']);
    expect(text.stdout.trim()).to.equal('xauth-dev: checked 1 dead token(s): 0 revived, 1 still dead');
  });
});
