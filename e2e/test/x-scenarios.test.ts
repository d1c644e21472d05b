import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { readZip } from '@xauth/browser-worker';
import { DEV_ENCRYPTION_KEYS, Keyring, schemaName } from '@xauth/shared';
import type { ScenarioName } from '@xauth/x-sim';
import { getJson, getServiceToken, postJson, schemaOf, startStack, type EventCollector, type Received, type Stack, type StackOptions } from '../src/index.js';

/** Small retry budget so a transient failure that never clears ends quickly; the first retry comes ~1 s later. */
/** Every attempt records its trace here (the default starts at the retry), so each failure below keeps all three artifacts. */
const BASE_ENV = {
  MAX_ATTEMPTS: 'browser-worker.authorization-jobs=2',
  INTERSTITIAL_TIMEOUT_MS: '3000',
  PROFILE_SYNC_MIN_GAP_MS: '0',
  ARTIFACTS_TRACE_FROM_ATTEMPT: '1',
};
const READER = { clientId: 'login-only', clientSecret: 'login-only-secret-123', scopes: ['logins:write'] };
/** Sees jobs, not what the browser saw: screenshots and pages of a signed-in account need `artifacts:read`. */
const JOB_READER = { clientId: 'job-reader', clientSecret: 'job-reader-secret-123', scopes: ['jobs:read'] };
const isFor = (requestId: string) => (r: Received) => (r.body as { requestId?: string }).requestId === requestId;
const ofJob = (jobId: string, type: string) => (r: Received) => r.routingKey === type && (r.body as { jobId?: string }).jobId === jobId;

interface Artifact {
  name: string;
  href: string;
  contentType: string;
}
interface Job {
  jobId: string;
  profileId: string;
  status: string;
  errorCode: string | null;
  attempt: number;
  artifacts: Artifact[];
}

describe('what X shows, end to end: each becomes its error code and outcome (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let events: EventCollector;
  let auth: Record<string, string>;

  async function start(opts: StackOptions = {}): Promise<void> {
    stack = await startStack({
      ...opts,
      xsim: { interstitialMs: 50, ...opts.xsim },
      env: { ...BASE_ENV, BOOTSTRAP_CLIENTS: JSON.stringify([READER, JOB_READER]), ...opts.env },
    });
    events = await stack.probe.listen('#');
    auth = { authorization: `Bearer ${await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret')}` };
  }
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(stack.logs.filter((l) => /artifact|fault|attempt failed|authorize/i.test(l)).join('\n'));
    await stack?.stop();
  });

  /** Publishes a login and waits for its answer; resolves with the answer and the job it ran as. */
  async function login(accountId: string, outcome: 'user.authenticated' | 'user.authentication.failed'): Promise<{ answer: Received; job: Job }> {
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId });
    const answer = await events.waitFor((r) => isFor(requestId)(r) && r.routingKey.startsWith('user.authentica'), 90_000, `the answer to ${accountId}`);
    expect(answer.routingKey, JSON.stringify(answer.body)).to.equal(outcome);
    const jobId = (answer.body as { jobId: string }).jobId;
    const view = await getJson(`${stack.gateway.url}/v1/jobs/${jobId}`, auth);
    expect(view.status).to.equal(200);
    return { answer, job: view.body as Job };
  }

  async function download(a: Artifact): Promise<{ status: number; type: string | null; bytes: Buffer }> {
    const res = await fetch(`${stack.gateway.url}${a.href}`, { headers: auth });
    return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
  }

  /** The OAuth state of the job, which no artifact may contain. */
  async function stateOf(jobId: string): Promise<string> {
    const { rows } = await stack.db.query(`SELECT state_enc FROM "${schemaOf(stack)}".authorization_jobs WHERE job_id = $1`, [jobId]);
    return new Keyring(DEV_ENCRYPTION_KEYS).decrypt(rows[0].state_enc, jobId);
  }

  /**
   * Downloads the three artifacts of `attempt` through the gateway and checks each is what it says,
   * without the job's OAuth state or the profile's X session cookie.
   */
  async function expectArtifacts(job: Job, attempt: number, htmlMarker: string): Promise<void> {
    const ofAttempt = job.artifacts.filter((a) => a.name.startsWith(`${job.jobId}/${attempt}/`));
    expect(ofAttempt.map((a) => a.name)).to.have.members(['page.html', 'screenshot.png', 'trace.zip'].map((f) => `${job.jobId}/${attempt}/${f}`));
    const state = await stateOf(job.jobId);
    const session = stack.xsim.state.users.profile(job.profileId)!.sessionToken;
    for (const a of ofAttempt) {
      expect(a.href).to.equal(`/v1/jobs/${job.jobId}/artifacts/${attempt}/${a.name.split('/')[2]}`);
      const got = await download(a);
      expect(got.status, a.name).to.equal(200);
      expect(got.type).to.equal(a.contentType);
      if (a.name.endsWith('.png')) expect(got.bytes.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
      if (a.name.endsWith('.html')) {
        expect(got.bytes.toString('utf8')).to.contain(htmlMarker).and.not.contain(state).and.not.contain(session);
      }
      if (a.name.endsWith('.zip')) {
        expect(got.bytes.subarray(0, 4).toString('latin1')).to.equal('PK\x03\x04');
        const entries = readZip(got.bytes);
        expect(entries.map((e) => e.name)).to.include('trace.trace');
        for (const e of entries) {
          expect(e.data.includes(Buffer.from(state)), `${e.name} holds the state`).to.equal(false);
          expect(e.data.includes(Buffer.from(session)), `${e.name} holds the session cookie`).to.equal(false);
        }
        expect(Buffer.concat(entries.map((e) => e.data)).toString('latin1')).to.contain('[REDACTED]');
      }
    }
  }

  /** A failure only a person can fix: answered at once, not retried, the job failed with what the browser saw. */
  async function expectNeedsPerson(accountId: string, code: string, htmlMarker: string): Promise<void> {
    const { answer, job } = await login(accountId, 'user.authentication.failed');
    expect(answer.body).to.include({ errorCode: code, accountId, attempts: 1 });
    expect(job).to.include({ status: 'failed', errorCode: code, attempt: 1 });
    const reported = events.all.filter(ofJob(job.jobId, 'authorization.attempt.failed'));
    expect(reported).to.have.length(1);
    expect(reported[0]!.body).to.include({ errorCode: code, retryable: false });
    expect((reported[0]!.body as { artifacts: string[] }).artifacts).to.have.members(job.artifacts.map((a) => a.name));
    await expectArtifacts(job, 1, htmlMarker);
    expect(stack.logs.join('\n')).not.to.contain(await stateOf(job.jobId));
  }

  /** A transient failure on the first attempt: retried, the job completes, the failed attempt's artifacts stay listed. */
  async function expectRecovers(accountId: string, code: string): Promise<Job> {
    const { answer, job } = await login(accountId, 'user.authenticated');
    expect(answer.body).to.include({ accountId, cached: false });
    expect(job).to.include({ status: 'succeeded', errorCode: null });
    const failed = events.all.filter(ofJob(job.jobId, 'authorization.attempt.failed')).map((f) => f.body as { errorCode: string; retryable: boolean });
    expect(failed.map((f) => `${f.errorCode}:${f.retryable}`)).to.include(`${code}:true`);
    const { rows } = await stack.db.query(`SELECT 1 FROM "${schemaOf(stack)}".tokens WHERE account_id = $1`, [accountId]);
    expect(rows).to.have.length(1);
    return job;
  }

  /** Once an attempt failed with `code`, `fix` the cause: the retry (a second or more later) then meets a healthy X. */
  function fixAfterFailure(code: string, fix: () => void): void {
    void events
      .waitFor((r) => r.routingKey === 'authorization.attempt.failed' && (r.body as { errorCode?: string }).errorCode === code, 90_000)
      .then(fix, () => undefined);
  }

  function scenario(user: string, name: ScenarioName, latencyMs?: number): void {
    stack.xsim.state.setScenario(user, name, latencyMs === undefined ? {} : { latencyMs });
  }

  it('when a Cloudflare-style interstitial shows first, then it is waited out, the job succeeds and nothing is kept', async () => {
    await start();
    // Long enough to be seen on a loaded machine, well within INTERSTITIAL_TIMEOUT_MS.
    scenario('xsim_user_001', 'interstitial', 1_500);
    const { job } = await login('xsim_user_001', 'user.authenticated');
    expect(job).to.include({ status: 'succeeded', errorCode: null });
    expect(job.artifacts).to.deep.equal([]);
    const metrics = await (await fetch(`${stack.worker!.url}/metrics`)).text();
    expect(metrics).to.match(/xauth_interstitials_total\{cleared="true"[^}]*\} [1-9]/);
    // A success discards its trace: nothing stored for the job.
    const { rows } = await stack.db.query(`SELECT file FROM "${schemaName(stack.namespace, 'browser_worker')}".failure_artifacts WHERE job_id = $1`, [
      job.jobId,
    ]);
    expect(rows).to.deep.equal([]);
  });

  it('when the CDN answers "Access denied", then BLOCKED is retried up to MAX_ATTEMPTS and then dead-lettered, with every attempt\'s artifacts', async () => {
    await start();
    scenario('xsim_user_003', 'blocked');
    const { answer, job } = await login('xsim_user_003', 'user.authentication.failed');
    expect(answer.body).to.include({ errorCode: 'BLOCKED', attempts: 2 });
    expect(events.all.filter(ofJob(job.jobId, 'authorization.attempt.failed')).map((f) => (f.body as { retryable: boolean }).retryable)).to.deep.equal([
      true,
      false,
    ]);
    const letter = await stack.probe.waitForDeadLetter((r) => (r.body as { jobId?: string }).jobId === job.jobId, 30_000);
    expect(letter.routingKey).to.equal('authorization.job.requested');
    expect(letter.properties.headers).to.include({ 'x-error-code': 'BLOCKED', 'x-attempt': 2, 'x-service': 'browser-worker', 'x-outcome-reported': true });
    expect(job).to.include({ status: 'dead_lettered', errorCode: 'BLOCKED', attempt: 2 });
    expect(job.artifacts, 'three of each attempt').to.have.length(6);
    await expectArtifacts(job, 1, 'Sorry, you have been blocked');
    await expectArtifacts(job, 2, 'Sorry, you have been blocked');

    // Replaying the letter reopens the job (same jobId, attempt 1, fresh deadline); once the cause is gone the same request is answered again, now a success.
    const listed = await getJson(`${stack.gateway.url}/v1/dead-letters?errorCode=BLOCKED`, auth);
    const stored = listed.body.items.find((d: { body: { jobId?: string } }) => d.body.jobId === job.jobId);
    expect(stored.notReplayable).to.equal(null);
    const dry = await postJson(`${stack.gateway.url}/v1/dead-letters/replay`, { ids: [stored.id], reason: 'check first', dryRun: true }, auth);
    expect(dry.body).to.deep.include({ dryRun: true, matched: 1, done: [], refused: [], wouldDo: [{ id: stored.id, reopensJobId: job.jobId }] });
    scenario('xsim_user_003', 'normal');
    const replay = await postJson(`${stack.gateway.url}/v1/dead-letters/${stored.id}/replay`, { reason: 'the CDN lets us through again' }, auth);
    expect(replay.status, JSON.stringify(replay.body)).to.equal(200);
    expect(replay.body).to.include({ status: 'replayed', replayCount: 1, reopenedJobId: job.jobId });
    const requestId = (answer.body as { requestId: string }).requestId;
    const again = await events.waitFor(
      (r) => isFor(requestId)(r) && r.routingKey.startsWith('user.authenticated'),
      90_000,
      'user.authenticated for the same request',
    );
    expect(again.body).to.include({ jobId: job.jobId, accountId: 'xsim_user_003', cached: false });
    expect(events.all.filter(isFor(requestId)).map((r) => r.routingKey)).to.deep.equal(['user.authentication.failed', 'user.authenticated']);
    const reopened = await getJson(`${stack.gateway.url}/v1/jobs/${job.jobId}`, auth);
    expect(reopened.body).to.include({ status: 'succeeded', errorCode: null, attempt: 1 });
    // The fresh job message is the replay's (caused by the letter); a second replay is refused by the orchestrator, and says why.
    const fresh = await stack.db.query(
      `SELECT causation_id, payload->>'attempt' AS attempt FROM "${schemaOf(stack)}".outbox WHERE message_id = $1 AND type = 'authorization.job.requested'`,
      [replay.body.replayMessageId],
    );
    expect(fresh.rows).to.deep.equal([{ causation_id: stored.messageId, attempt: '1' }]);
    const second = await postJson(`${stack.gateway.url}/v1/dead-letters/${stored.id}/replay`, { reason: 'once more' }, auth);
    expect(second.status).to.equal(409);
    expect(second.body).to.include({ code: 'JOB_NOT_REOPENABLE' });
    expect(second.body.message).to.contain('it already succeeded');
  });

  const needsPerson: Array<[string, string, ScenarioName, string, string]> = [
    ['a captcha does not clear', 'xsim_user_002', 'captcha', 'CAPTCHA_REQUIRED', 'cf-turnstile'],
    ['the profile is signed out (login wall)', 'xsim_user_004', 'logged_out', 'LOGIN_REQUIRED', 'LoginForm'],
    ['X shows the account as locked', 'xsim_user_005', 'locked', 'ACCOUNT_LOCKED', 'LockedAccountPage'],
    ['consent is cancelled (redirect with error=access_denied)', 'xsim_user_007', 'denies', 'ACCESS_DENIED', 'OAuth_Consent_Page'],
  ];
  for (const [when, user, name, code, marker] of needsPerson) {
    it(`when ${when}, then ${code}, no retry, and the screenshot, HTML and trace are kept without the OAuth state or the session cookie`, async () => {
      await start();
      scenario(user, name);
      await expectNeedsPerson(user, code, marker);
    });
  }

  it('when X refuses the app ("You weren\'t able to give access to the App"), then APP_CONFIG_INVALID with artifacts', async () => {
    await start({
      env: {
        X_APPS: JSON.stringify([
          { name: 'xauth-dev', clientId: 'not-registered-at-x', clientSecret: 'xsim-client-secret', redirectUri: 'http://127.0.0.1:9/oauth/callback' },
        ]),
      },
    });
    await expectNeedsPerson('xsim_user_006', 'APP_CONFIG_INVALID', 'able to give access to the App');
  });

  it('when the profile is signed in to another account, then IDENTITY_MISMATCH and no token is stored', async () => {
    await start();
    scenario('xsim_user_008', 'wrong_identity');
    const { answer, job } = await login('xsim_user_008', 'user.authentication.failed');
    expect(answer.body).to.include({ errorCode: 'IDENTITY_MISMATCH', accountId: 'xsim_user_008' });
    expect(job).to.include({ status: 'failed', errorCode: 'IDENTITY_MISMATCH' });
    // The browser part succeeded (the orchestrator's /2/users/me check failed): nothing to show.
    expect(job.artifacts).to.deep.equal([]);
    const { rows } = await stack.db.query(`SELECT account_id FROM "${schemaOf(stack)}".tokens`);
    expect(rows).to.deep.equal([]);
  });

  it('when X is slow past the step timeout once, then TIMEOUT is retried and the job completes', async () => {
    await start({ env: { STEP_TIMEOUT_MS: '4000' } });
    stack.xsim.state.addFault({ user: 'xsim_user_009', endpoint: 'authorize', latencyMs: 10_000, times: 1 });
    const job = await expectRecovers('xsim_user_009', 'TIMEOUT').catch((e) => {
      console.log(stack.logs.filter((l) => /artifact/i.test(l)).join('\n'));
      throw e;
    });
    expect(job.artifacts.map((a) => a.name)).to.include(`${job.jobId}/1/screenshot.png`);
  });

  it("when X drops the connection (and Chromium's own resend), then X_UNAVAILABLE is retried and the job completes", async () => {
    // Chromium itself resends a request whose connection closed unanswered (how often varies): drop until the attempt fails.
    await start({ env: { MAX_ATTEMPTS: 'browser-worker.authorization-jobs=3' } });
    stack.xsim.state.addFault({ user: 'xsim_user_010', endpoint: 'authorize', drop: true });
    fixAfterFailure('X_UNAVAILABLE', () => stack.xsim.state.faults.reset());
    const job = await expectRecovers('xsim_user_010', 'X_UNAVAILABLE');
    expect(job.artifacts.map((a) => a.name)).to.include(`${job.jobId}/1/page.html`);
  });

  it('when both attempts fail with the trace at its default, then the first attempt keeps its screenshot and HTML and the retry a trace as well', async () => {
    await start({ env: { ARTIFACTS_TRACE_FROM_ATTEMPT: undefined } });
    stack.xsim.state.addFault({ user: 'xsim_user_013', endpoint: 'authorize', status5xx: 503 });
    const { answer, job } = await login('xsim_user_013', 'user.authentication.failed');
    expect(answer.body).to.include({ errorCode: 'X_UNAVAILABLE', attempts: 2 });
    const names = job.artifacts.map((a) => a.name.split('/').slice(1).join('/')).sort();
    expect(names).to.deep.equal(['1/page.html', '1/screenshot.png', '2/page.html', '2/screenshot.png', '2/trace.zip']);
    const trace = await download(job.artifacts.find((a) => a.name.endsWith('2/trace.zip'))!);
    expect(readZip(trace.bytes).map((e) => e.name)).to.include('trace.trace');
  });

  it('when X answers 503 once, then X_UNAVAILABLE is retried and the job completes', async () => {
    await start();
    stack.xsim.state.addFault({ user: 'xsim_user_011', endpoint: 'authorize', status5xx: 503, times: 1 });
    const job = await expectRecovers('xsim_user_011', 'X_UNAVAILABLE');
    const html = job.artifacts.find((a) => a.name.endsWith('page.html'))!;
    expect((await download(html)).bytes.toString('utf8')).to.contain('Service Unavailable');
  });

  it('when the browser crashes on the consent page, then BROWSER_CRASHED is retried and the job completes', async () => {
    await start({ env: { MAX_ATTEMPTS: 'browser-worker.authorization-jobs=3' } });
    scenario('xsim_user_012', 'browser_crash');
    fixAfterFailure('BROWSER_CRASHED', () => scenario('xsim_user_012', 'normal'));
    await expectRecovers('xsim_user_012', 'BROWSER_CRASHED');
  });

  it('when an artifact is asked for without a JWT, with jobs:read but not artifacts:read, by an unknown name or by a path that climbs out, then 401, 403, 404 and 400 with JSON error bodies', async () => {
    await start();
    const jobId = randomUUID();
    const url = (rest: string) => `${stack.gateway.url}/v1/jobs/${jobId}/artifacts/${rest}`;

    const anonymous = await getJson(url('1/screenshot.png'));
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body).to.include({ code: 'UNAUTHENTICATED' });

    // Seeing a job is not seeing the signed-in account's pages.
    const jobsOnly = await getServiceToken(stack.gateway.url, JOB_READER.clientId, JOB_READER.clientSecret);
    const forbidden = await getJson(url('1/screenshot.png'), { authorization: `Bearer ${jobsOnly}` });
    expect(forbidden.status).to.equal(403);
    expect(forbidden.body).to.include({ code: 'FORBIDDEN' });
    expect(forbidden.body.message).to.contain('artifacts:read');
    expect((await getJson(`${stack.gateway.url}/v1/jobs/${jobId}`, { authorization: `Bearer ${jobsOnly}` })).status, 'jobs:read still sees jobs').to.equal(404);

    const missing = await getJson(url('1/trace.zip'), auth);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.include({ code: 'ARTIFACT_NOT_FOUND' });
    expect(missing.body.message).to.be.a('string').and.not.empty;
    expect(missing.body.requestId).to.equal(missing.headers.get('x-request-id'));

    for (const rest of [
      '..%2F..%2Foutside.txt',
      '1/..%2Foutside.txt',
      '1/outside.txt',
      '..%2F1/page.html',
      '1/page.html%00',
      '0/page.html',
      '1/%2e%2e',
      '1/trace.raw',
    ]) {
      const res = await getJson(url(rest), auth);
      expect(res.status, rest).to.be.oneOf([400, 404]);
      expect(res.body, rest).to.have.keys('code', 'message', 'requestId', ...(res.body.details ? ['details'] : []));
    }
    const climbing = await getJson(`${stack.gateway.url}/v1/jobs/..%2F..%2F/artifacts/1/page.html`, auth);
    expect(climbing.status).to.equal(400);

    // The worker's own route is the gateway's only: without the internal token, 401.
    const direct = await getJson(`${stack.worker!.url}/internal/v1/artifacts/${jobId}/1/page.html`);
    expect(direct.status).to.equal(401);
    expect(direct.body).to.include({ code: 'UNAUTHENTICATED' });
  });
});
