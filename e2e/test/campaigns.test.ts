import { expect } from 'chai';
import type { CampaignView } from '@xauth/contracts';
import { simUsername } from '@xauth/x-sim';
import { schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';
import { adminApi, publishEvent, seedTokens, xauthCli } from './support/operator.helper.js';

const users = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => simUsername(from + i));

/**
 * Campaigns run on the real stack without Chromium: no browser worker runs, so accounts that hold a
 * valid token are answered from it (cached, the real login path), accounts without one get a real
 * job that stays queued, and the browser worker's events are published by the test.
 */
describe('login campaigns (RabbitMQ, PostgreSQL, x-sim; no browser)', function () {
  this.timeout(180_000);
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  const start = async (env: Record<string, string>, userCount = 50) => {
    stack = await startStack({
      inProcessWorker: false,
      xsim: { userCount },
      env: { CAMPAIGN_INTERVAL_MS: '100', PROFILE_SYNC_MIN_GAP_MS: '0', RATE_LIMIT_PER_MINUTE: '1000000', ...env },
    });
    return { s: stack, api: await adminApi(stack.gateway.url) };
  };
  const progressOf = async (api: Awaited<ReturnType<typeof adminApi>>, id: string) => (await api.get(`/v1/campaigns/${id}`)).body as CampaignView;
  const jobOf = async (s: Stack, accountId: string) =>
    (await s.db.query(`SELECT job_id, profile_id FROM "${schemaOf(s)}".authorization_jobs WHERE account_key = $1`, [accountId])).rows[0] as {
      job_id: string;
      profile_id: string;
    };

  it('when a campaign asks logins for 200 accounts, then its progress counts each exactly: succeeded, queued, running and failed by code', async () => {
    const { s, api } = await start({ CAMPAIGN_RATE_PER_SECOND: '1000', CAMPAIGN_MAX_IN_FLIGHT: '500' }, 200);
    await seedTokens(s, users(1, 190));
    const ghosts = ['ghost_01', 'ghost_02', 'ghost_03', 'ghost_04', 'ghost_05'];
    const authenticated = await s.probe.listen('user.authenticated');

    const created = await api.post('/v1/campaigns', {
      selection: { kind: 'accounts', accountIds: [...users(1, 195), ...ghosts] },
      reason: 'onboard the fleet',
    });
    expect(created.status).to.equal(201);
    const id = created.body.campaignId as string;
    expect(created.body).to.include({ status: 'running', app: 'xauth-dev', createdBy: 'dev-admin' });
    expect(created.body.progress.total).to.equal(200);

    // 190 answered from their tokens, 5 without a token wait in the queue for a browser, 5 unknown accounts refused.
    const settled = await waitUntil(
      async () => {
        const c = await progressOf(api, id);
        return c.progress.pending === 0 && c.progress.succeeded + c.progress.failed === 195 ? c : undefined;
      },
      60_000,
      'every item requested and answered',
    );
    expect(settled.progress).to.deep.equal({
      total: 200,
      pending: 0,
      queued: 5,
      running: 0,
      succeeded: 190,
      failed: 5,
      cancelled: 0,
      failedByCode: { UNKNOWN_ACCOUNT: 5 },
    });
    expect(settled.status).to.equal('running');
    // Each item's requestId is the one the orchestrator answered: exactly 190 cached answers under the campaign's correlation id.
    await waitUntil(() => authenticated.all.length >= 190, 20_000, '190 user.authenticated');
    const answers = authenticated.all.filter((r) => r.properties.correlationId === id);
    expect(answers).to.have.length(190);
    expect(new Set(answers.map((r) => (r.body as { accountId: string }).accountId))).to.deep.equal(new Set(users(1, 190)));

    // A browser takes one job, then fails it: running, then failed with the worker's code.
    const job = await jobOf(s, simUsername(191));
    await publishEvent(s, 'authorization.job.started', {
      jobId: job.job_id,
      profileId: job.profile_id,
      workerId: 'test-worker',
      startedAt: new Date().toISOString(),
    });
    const running = await waitUntil(
      async () => {
        const c = await progressOf(api, id);
        return c.progress.running === 1 ? c : undefined;
      },
      20_000,
      'one running',
    );
    expect(running.progress).to.include({ queued: 4, running: 1, succeeded: 190, failed: 5 });
    await publishEvent(s, 'authorization.attempt.failed', { jobId: job.job_id, errorCode: 'CAPTCHA_REQUIRED', message: 'a captcha', retryable: false });
    const failed = await waitUntil(
      async () => {
        const c = await progressOf(api, id);
        return c.progress.failed === 6 ? c : undefined;
      },
      20_000,
      'six failed',
    );
    expect(failed.progress).to.deep.equal({
      total: 200,
      pending: 0,
      queued: 4,
      running: 0,
      succeeded: 190,
      failed: 6,
      cancelled: 0,
      failedByCode: { UNKNOWN_ACCOUNT: 5, CAPTCHA_REQUIRED: 1 },
    });

    // The other selections resolve from the same fleet: 10 accounts hold no active token, 1 last failed with CAPTCHA_REQUIRED.
    const withoutToken = await api.post('/v1/campaigns', { selection: { kind: 'without-token' }, reason: 'the rest', ratePerSecond: 1 });
    expect(withoutToken.body.progress.total).to.equal(10);
    const byCode = await api.post('/v1/campaigns', {
      selection: { kind: 'error-code', errorCode: 'CAPTCHA_REQUIRED' },
      reason: 'captcha solved',
      ratePerSecond: 1,
    });
    expect(byCode.body.progress.total).to.equal(1);
    const { rows } = await s.db.query(`SELECT action, actor FROM "${schemaOf(s)}".operator_actions WHERE action = 'campaign.create' ORDER BY id`);
    expect(rows).to.deep.equal([1, 2, 3].map(() => ({ action: 'campaign.create', actor: 'dev-admin' })));
  });

  it('when a campaign has as many logins in flight as CAMPAIGN_MAX_IN_FLIGHT, then it requests no more until some end', async () => {
    const { s, api } = await start({ CAMPAIGN_RATE_PER_SECOND: '1000', CAMPAIGN_MAX_IN_FLIGHT: '3' });
    await seedTokens(s, users(21, 40));
    const bounded = (await api.post('/v1/campaigns', { selection: { kind: 'accounts', accountIds: users(1, 10) }, reason: 'bounded' })).body
      .campaignId as string;
    await waitUntil(async () => (await progressOf(api, bounded)).progress.queued === 3, 30_000, 'three queued');
    // Another campaign as the clock: it finishes only after many runner rounds, all of which the bounded one also took.
    const clock = (await api.post('/v1/campaigns', { selection: { kind: 'accounts', accountIds: users(21, 40) }, reason: 'clock', ratePerSecond: 20 })).body
      .campaignId as string;
    await waitUntil(async () => (await progressOf(api, clock)).status === 'finished', 30_000, 'the clock campaign finished');
    expect((await progressOf(api, bounded)).progress).to.include({ queued: 3, pending: 7 });

    const job = await jobOf(s, simUsername(1));
    await publishEvent(s, 'authorization.attempt.failed', { jobId: job.job_id, errorCode: 'ACCOUNT_LOCKED', message: 'locked', retryable: false });
    const after = await waitUntil(
      async () => {
        const c = await progressOf(api, bounded);
        return c.progress.failed === 1 && c.progress.queued === 3 ? c : undefined;
      },
      20_000,
      'one more requested',
    );
    expect(after.progress).to.include({ pending: 6, failed: 1, queued: 3 });
    expect(after.progress.failedByCode).to.deep.equal({ ACCOUNT_LOCKED: 1 });
  });

  it('when an operator pauses, resumes and cancels a campaign with the CLI, then no login is requested while paused or after the cancel', async () => {
    const { s, api } = await start({ CAMPAIGN_RATE_PER_SECOND: '1000' });
    await seedTokens(s, users(1, 50));
    const cli = (...args: string[]) => xauthCli(s.gateway.url, ['campaigns', ...args]);
    const created = await cli('create', '--accounts', users(1, 30).join(','), '--rate', '5', '--reason', 'slow', '--json');
    expect(created.code, created.stderr).to.equal(0);
    const id = JSON.parse(created.stdout).campaignId as string;
    await waitUntil(async () => (await progressOf(api, id)).progress.succeeded >= 2, 30_000, 'two requested');

    const paused = await cli('pause', id, '--reason', 'look first');
    expect(paused.code, paused.stderr).to.equal(0);
    expect(paused.stdout).to.contain(`campaign ${id} paused`);
    const atPause = await waitUntil(
      async () => {
        const c = await progressOf(api, id);
        return c.progress.queued === 0 ? c : undefined;
      },
      20_000,
      'requests in flight answered',
    );
    // The clock: a second campaign runs many rounds to its end while the first stays paused.
    const clock = JSON.parse((await cli('create', '--accounts', users(31, 50).join(','), '--rate', '20', '--reason', 'clock', '--json')).stdout)
      .campaignId as string;
    await waitUntil(async () => (await progressOf(api, clock)).status === 'finished', 30_000, 'the clock campaign finished');
    const stillPaused = await progressOf(api, id);
    expect(stillPaused.status).to.equal('paused');
    expect(stillPaused.progress).to.deep.equal(atPause.progress);
    expect(atPause.progress.pending).to.be.above(0);

    const resumed = await cli('resume', id);
    expect(resumed.stdout).to.contain('resumed');
    await waitUntil(async () => (await progressOf(api, id)).progress.pending < atPause.progress.pending, 20_000, 'requests again after resume');
    const cancelled = await cli('cancel', id, '--reason', 'enough');
    expect(cancelled.code, cancelled.stderr).to.equal(0);
    const atCancel = await waitUntil(
      async () => {
        const c = await progressOf(api, id);
        return c.progress.queued === 0 ? c : undefined;
      },
      20_000,
      'in-flight answered',
    );
    expect(atCancel.status).to.equal('cancelled');
    expect(atCancel.progress.pending).to.equal(0);
    expect(atCancel.progress.cancelled).to.be.above(0);
    expect(atCancel.progress.succeeded + atCancel.progress.cancelled).to.equal(30);
    const clock2 = JSON.parse((await cli('create', '--accounts', users(31, 50).join(','), '--rate', '20', '--reason', 'clock', '--json')).stdout)
      .campaignId as string;
    await waitUntil(async () => (await progressOf(api, clock2)).status === 'finished', 30_000, 'the second clock campaign finished');
    expect((await progressOf(api, id)).progress).to.deep.equal(atCancel.progress);

    const shown = await cli('show', id);
    expect(shown.stdout).to.contain('status:    cancelled').and.contain(`progress: 30 total: ${atCancel.progress.succeeded} succeeded, 0 failed`);
    const refused = await cli('resume', id);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain('CAMPAIGN_STATE_CONFLICT');
    const listed = await cli('list');
    expect(listed.stdout)
      .to.match(/^CAMPAIGN\s+STATUS/)
      .and.contain(id)
      .and.contain('cancelled');
    const { rows } = await s.db.query(`SELECT action FROM "${schemaOf(s)}".operator_actions WHERE params->>'campaignId' = $1 ORDER BY id`, [id]);
    expect(rows.map((r: { action: string }) => r.action)).to.deep.equal(['campaign.create', 'campaign.pause', 'campaign.resume', 'campaign.cancel']);
  });
});
