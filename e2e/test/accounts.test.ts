import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { offboardGoneAccounts, refreshDueTokens, refreshToken, syncProfiles } from '@xauth/orchestrator';
import { schemaName } from '@xauth/shared';
import { simProfileId } from '@xauth/x-sim';
import { getJson, postJson, schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';
import { adminJwt, consentOverHttp, loginOverHttp, publishConsent } from './support/http-consent.helper.js';

const APP = 'xauth-dev';

async function storedTokens(stack: Stack, accountId: string): Promise<{ access: string; refresh: string; version: number }> {
  const { rows } = await stack.db.query(`SELECT access_token_enc, refresh_token_enc, version FROM "${schemaOf(stack)}".tokens WHERE account_key = $1`, [
    accountId,
  ]);
  const keyring = stack.orchestrator.deps.keyring;
  return {
    access: keyring.decrypt(rows[0].access_token_enc, `${accountId}/${APP}`),
    refresh: keyring.decrypt(rows[0].refresh_token_enc, `${accountId}/${APP}`),
    version: rows[0].version,
  };
}

const refreshAtX = (stack: Stack, refreshToken: string) =>
  fetch(`${stack.xsim.url}/2/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('xsim-client-id:xsim-client-secret').toString('base64')}`,
    },
  });

describe('accounts: offboard, pause, the profile-gone rule (no browser: consent answered over HTTP)', function () {
  this.timeout(120_000);
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('when an account is offboarded, then X revoked both its tokens (users/me 401, refresh refused), account.offboarded is announced and reads answer 404', async () => {
    stack = await startStack({ inProcessWorker: false, env: { REFRESH_INTERVAL_MS: '3600000' } });
    await loginOverHttp(stack, 'xsim_user_005');
    const tokens = await storedTokens(stack, 'xsim_user_005');
    const auth = { authorization: `Bearer ${await adminJwt(stack)}` };
    expect((await getJson(`${stack.gateway.url}/v1/accounts/xsim_user_005/token`, auth)).status).to.equal(200);
    const offboarded = await stack.probe.listen('account.offboarded');

    const res = await postJson(`${stack.gateway.url}/v1/accounts/xsim_user_005/offboard`, { reason: 'account sold' }, auth);

    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.include({ accountId: 'xsim_user_005', action: 'offboard', changed: true, revokedApps: [APP] });
    const revoked = (await getJson(`${stack.xsim.url}/_sim/revocations?user=xsim_user_005`)).body as Array<{ kind: string }>;
    expect(revoked.map((r) => r.kind)).to.have.members(['access_token', 'refresh_token']);
    expect((await getJson(`${stack.xsim.url}/2/users/me`, { authorization: `Bearer ${tokens.access}` })).status).to.equal(401);
    expect((await refreshAtX(stack, tokens.refresh)).status).to.equal(400);
    const event = await offboarded.waitFor((r) => (r.body as { accountId?: string }).accountId === 'xsim_user_005', 10_000, 'account.offboarded');
    expect(event.body).to.include({ by: 'dev-admin', reason: 'account sold' });
    expect(JSON.stringify(event.body)).not.to.contain(tokens.access);
    const read = await getJson(`${stack.gateway.url}/v1/accounts/xsim_user_005/token`, auth);
    expect([read.status, read.body.code]).to.deep.equal([404, 'TOKEN_NOT_FOUND']);
    const shown = await getJson(`${stack.gateway.url}/v1/accounts/xsim_user_005`, auth);
    expect([shown.status, shown.body.code]).to.deep.equal([404, 'ACCOUNT_NOT_FOUND']);
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(stack)}".tokens WHERE account_key = 'xsim_user_005'`);
    expect(rows[0].n).to.equal(0);
  });

  it('when an account is paused, then it is neither refreshed nor logged in (ACCOUNT_PAUSED, not dead-lettered); resumed, it is refreshed again', async () => {
    // Tokens live 30 min and the refresh window is 50 min: every token is always due.
    stack = await startStack({
      inProcessWorker: false,
      xsim: { tokenLifetimeSec: 1800 },
      env: { REFRESH_INTERVAL_MS: '3600000', REFRESH_AHEAD_MS: '3000000' },
    });
    await loginOverHttp(stack, 'xsim_user_006');
    const before = await storedTokens(stack, 'xsim_user_006');
    const auth = { authorization: `Bearer ${await adminJwt(stack)}` };

    const paused = await postJson(`${stack.gateway.url}/v1/accounts/xsim_user_006/pause`, { reason: 'under review' }, auth);
    expect(paused.body).to.include({ action: 'pause', changed: true });

    const deps = stack.orchestrator.deps;
    const outcomes = await refreshDueTokens(deps);
    expect(outcomes.refreshed ?? 0, JSON.stringify(outcomes)).to.equal(0);
    expect(await refreshToken(deps, 'xsim_user_006', APP, { onlyIfDue: false })).to.equal('account_paused');
    expect((await storedTokens(stack, 'xsim_user_006')).version).to.equal(before.version);

    const failed = await stack.probe.listen('user.authentication.failed.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_006', force: true });
    const answer = await failed.waitFor((r) => (r.body as { requestId?: string }).requestId === requestId, 20_000, 'user.authentication.failed');
    expect(answer.body).to.include({ errorCode: 'ACCOUNT_PAUSED', jobId: null });
    const jobs = await stack.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(stack)}".authorization_jobs WHERE account_key = 'xsim_user_006'`);
    expect(jobs.rows[0].n, "no new job: only the first login's").to.equal(1);
    const list = await getJson(`${stack.gateway.url}/v1/accounts?paused=true`, auth);
    expect(list.body.items.map((a: { accountId: string }) => a.accountId)).to.deep.equal(['xsim_user_006']);
    expect(list.body.counts.paused).to.equal(1);

    await postJson(`${stack.gateway.url}/v1/accounts/xsim_user_006/resume`, { reason: 'review done' }, auth);
    expect((await refreshDueTokens(deps)).refreshed).to.equal(1);
    expect((await storedTokens(stack, 'xsim_user_006')).version).to.equal(before.version + 1);
    const detail = await getJson(`${stack.gateway.url}/v1/accounts/xsim_user_006`, auth);
    expect(detail.body.events.map((e: { kind: string }) => e.kind)).to.deep.equal(['refreshed', 'resumed', 'paused']);
    // The dead-letter office stored nothing for the refused request (it was answered, not dead-lettered).
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM "${schemaName(stack.namespace, 'dead_letters')}".dead_letters`)).rows[0].n).to.equal(0);
  });

  it('when a GoLogin page fails or comes without profiles, then the sync deletes nothing; a complete sync pauses the account whose profile is gone and, past the grace period, it is offboarded', async () => {
    stack = await startStack({ inProcessWorker: false, env: { REFRESH_INTERVAL_MS: '3600000', PROFILE_GONE_CHECK_INTERVAL_MS: '3600000' } });
    const deps = stack.orchestrator.deps;
    await loginOverHttp(stack, 'xsim_user_040');
    const profiles = async () => (await stack!.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(stack!)}".profiles`)).rows[0].n;
    expect(await profiles()).to.equal(50);
    // Deleted in GoLogin: xsim_user_040 is on the listing's second page (30 a page).
    await postJson(`${stack.xsim.url}/_sim/profiles/${simProfileId(40)}/listed`, { listed: false });

    for (const kind of ['no_profiles', 'fail']) {
      await postJson(`${stack.xsim.url}/_sim/gologin/listing-glitches`, { page: 2, kind });
      await syncProfiles(deps);
      expect(await profiles(), kind).to.equal(50);
      expect(await deps.store.transaction((tx) => tx.accounts.standing('xsim_user_040')), kind).to.equal(undefined);
    }

    await syncProfiles(deps);
    expect(await profiles()).to.equal(49);
    expect(await deps.store.transaction((tx) => tx.accounts.standing('xsim_user_040'))).to.deep.equal({ paused: true, offboarded: false });
    const auth = { authorization: `Bearer ${await adminJwt(stack)}` };
    const shown = (await getJson(`${stack.gateway.url}/v1/accounts/xsim_user_040`, auth)).body;
    expect(shown.account).to.include({ paused: true, pausedBy: 'system:profile-gone' });
    expect(shown.account.profileGoneAt).to.be.a('string');
    expect(shown.account.profiles).to.deep.equal([]);

    const offboarded = await stack.probe.listen('account.offboarded');
    expect(await offboardGoneAccounts(deps, 0)).to.equal(1);
    const event = await offboarded.waitFor((r) => (r.body as { accountId?: string }).accountId === 'xsim_user_040', 10_000, 'account.offboarded');
    expect(event.body).to.include({ by: 'system:profile-gone' });
    expect((await getJson(`${stack.xsim.url}/_sim/revocations?user=xsim_user_040`)).body.map((r: { kind: string }) => r.kind)).to.have.members([
      'access_token',
      'refresh_token',
    ]);
    expect((await getJson(`${stack.gateway.url}/v1/accounts/xsim_user_040/token`, auth)).status).to.equal(404);
  });
});

/** The `xauth` command npm linked at install (what `npx xauth` runs). */
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/xauth', import.meta.url));
const xauth = (stack: Stack, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(BIN, args, { env: { PATH: process.env.PATH ?? '', XAUTH_GATEWAY_URL: stack.gateway.url }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('xauth accounts CLI against a running stack', function () {
  this.timeout(120_000);
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('when an operator lists, pauses, shows, resumes and offboards with the CLI, then the orchestrator does it and the output says so', async () => {
    stack = await startStack({ inProcessWorker: false, env: { REFRESH_INTERVAL_MS: '3600000' } });
    await loginOverHttp(stack, 'xsim_user_011');

    const list = await xauth(stack, ['accounts', 'list', '--prefix', 'xsim_user_01', '--limit', '5']);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/^ACCOUNT\s+PAUSED\s+TOKENS/);
    expect(list.stdout).to.contain('xsim_user_011  no      xauth-dev:active').and.contain('1-5 of 10').and.contain('in all 50 account(s), 0 paused');
    const active = JSON.parse((await xauth(stack, ['accounts', 'list', '--state', 'active', '--json'])).stdout);
    expect(active.items.map((a: { accountId: string }) => a.accountId)).to.deep.equal(['xsim_user_011']);
    expect(active.counts.byState).to.deep.equal({ active: 1, none: 49 });

    expect((await xauth(stack, ['accounts', 'pause', 'xsim_user_011', '--reason', 'checking it'])).stdout.trim()).to.equal('paused @xsim_user_011');
    const shown = await xauth(stack, ['accounts', 'show', 'xsim_user_011']);
    expect(shown.stdout)
      .to.match(/paused:\s+yes, by dev-admin at .*: checking it/)
      .and.contain('succeeded')
      .and.contain('paused');
    expect((await xauth(stack, ['accounts', 'resume', 'xsim_user_011', '--reason', 'fine'])).stdout.trim()).to.equal('resumed @xsim_user_011');
    expect((await xauth(stack, ['accounts', 'offboard', 'xsim_user_011', '--reason', 'sold'])).stdout.trim()).to.equal(
      'offboarded @xsim_user_011: tokens revoked at X and deleted for xauth-dev',
    );
    const gone = await xauth(stack, ['accounts', 'show', 'xsim_user_011']);
    expect(gone.code).to.not.equal(0);
  });
});

describe('consent idempotency (no browser: consent answered over HTTP)', function () {
  this.timeout(120_000);
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('when two copies of one consent.captured arrive at once, then the code is exchanged once and the loser changes nothing', async () => {
    // A short X timeout makes the exchange's lease (3 × X_HTTP_TIMEOUT_MS) short: the deferred copy comes back within the test.
    stack = await startStack({ inProcessWorker: false, env: { X_HTTP_TIMEOUT_MS: '2000' } });
    const authenticated = await stack.probe.listen('user.authenticated.#');
    const failed = await stack.probe.listen('user.authentication.failed.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_007' });
    const consent = await consentOverHttp(stack, 'xsim_user_007');
    // X answers this exchange slowly, so the second copy arrives while the first is at X.
    stack.xsim.state.addFault({ endpoint: 'token', user: 'xsim_user_007', latencyMs: 1_000, times: 1 });
    const issuedBefore = stack.xsim.state.stats().tokensIssued;

    await publishConsent(stack, consent);
    await publishConsent(stack, consent);

    await authenticated.waitFor((r) => (r.body as { requestId?: string }).requestId === requestId, 30_000, 'user.authenticated');
    // The loser was deferred, came back, and found the job done.
    await waitUntil(
      () => stack!.logs.some((l) => l.includes('consent for a job that is no longer waiting') && l.includes(consent.jobId)),
      30_000,
      'the deferred copy to find the job done',
    );
    expect(
      stack.logs.some((l) => l.includes('another copy of this consent is exchanging the code')),
      'the second copy was deferred',
    ).to.equal(true);
    expect(stack.xsim.state.stats().tokensIssued - issuedBefore, 'one exchange').to.equal(1);
    expect(failed.all).to.have.length(0);
    expect(authenticated.all.filter((r) => (r.body as { requestId?: string }).requestId === requestId)).to.have.length(1);
    const job = await stack.db.query(`SELECT status, pending_tokens_enc FROM "${schemaOf(stack)}".authorization_jobs WHERE job_id = $1`, [consent.jobId]);
    expect(job.rows[0]).to.deep.equal({ status: 'succeeded', pending_tokens_enc: null });
    const tokens = await storedTokens(stack, 'xsim_user_007');
    expect(tokens.version).to.equal(1);
    expect((await getJson(`${stack.xsim.url}/2/users/me`, { authorization: `Bearer ${tokens.access}` })).status).to.equal(200);
    expect((await getJson(`${stack.xsim.url}/_sim/revocations?user=xsim_user_007`)).body).to.deep.equal([]);
  });

  it('when the profile is signed in to another account, then the tokens of that exchange are revoked at X (both) and none is stored', async () => {
    stack = await startStack({ inProcessWorker: false });
    await postJson(`${stack.xsim.url}/_sim/users/xsim_user_008/scenario`, { scenario: 'wrong_identity' });
    const failed = await stack.probe.listen('user.authentication.failed.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_008' });
    await publishConsent(stack, await consentOverHttp(stack, 'xsim_user_008'));

    const answer = await failed.waitFor((r) => (r.body as { requestId?: string }).requestId === requestId, 30_000, 'user.authentication.failed');
    expect(answer.body).to.include({ errorCode: 'IDENTITY_MISMATCH' });
    const revoked = await waitUntil(
      async () => {
        const all = (await getJson(`${stack!.xsim.url}/_sim/revocations`)).body as Array<{ kind: string }>;
        return all.length >= 2 ? all : undefined;
      },
      10_000,
      'both revocations',
    );
    expect(revoked.map((r) => r.kind)).to.have.members(['access_token', 'refresh_token']);
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(stack)}".tokens`)).rows[0].n).to.equal(0);
  });
});
