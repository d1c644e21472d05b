import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { exchangeName, queueName, workQueues, type WorkQueueName } from '@xauth/contracts';
import { schemaName } from '@xauth/shared';
import { getServiceToken, postJson, schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';

type Outcome = { id: string; outcome: string; message?: string };

/**
 * A replay's dry run runs the real replay's checks, so the two agree letter by letter for every
 * reason a replay is refused. No browser worker runs: a reopened job just waits, dispatched.
 */
describe('dead-letter replay: the dry run and the real replay agree (RabbitMQ, PostgreSQL)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let auth: Record<string, string>;
  const orch = () => schemaOf(stack);
  const office = () => schemaName(stack.namespace, 'dead_letters');

  beforeEach(async () => {
    stack = await startStack({ inProcessWorker: false, env: { MAX_REPLAYS: '1' } });
    auth = { authorization: `Bearer ${await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret')}` };
  });
  afterEach(async () => {
    await stack?.stop();
  });

  /** A job (and one login request joined to it) as the orchestrator would have left it. */
  async function insertJob(accountId: string, status: string, errorCode: string | null, createdAt = new Date()): Promise<{ jobId: string; requestId: string }> {
    const jobId = randomUUID();
    const requestId = randomUUID();
    await stack.db.query(
      `INSERT INTO "${orch()}".authorization_jobs (job_id, account_id, account_key, app, profile_id, scopes, status, attempt, redirect_uri, state_enc, verifier_enc, deadline, error_code, error_message, created_at)
       VALUES ($1, $2, lower($2), 'xauth-dev', 'profile-1', 'tweet.read users.read offline.access', $3, 2, 'http://127.0.0.1:9/oauth/callback', 'x', 'x', now(), $4, $5, $6)`,
      [jobId, accountId, status, errorCode, errorCode && `ended with ${errorCode}`, createdAt],
    );
    await stack.db.query(
      `INSERT INTO "${orch()}".login_requests (request_id, account_id, app, job_id, outcome, correlation_id) VALUES ($1, $2, 'xauth-dev', $3, $4, 'corr-1')`,
      [requestId, accountId, jobId, status === 'succeeded' ? 'answered' : 'failed'],
    );
    return { jobId, requestId };
  }

  /** Puts a letter on the DLX as the consumer wrapper does, and resolves with its stored id once the office has it. */
  async function deadLetter(
    routingKey: string,
    body: unknown,
    opts: { exchange?: string; queue?: string; errorCode?: string; reported?: boolean } = {},
  ): Promise<string> {
    const messageId = randomUUID();
    const queue = (opts.queue ?? 'browser-worker.authorization-jobs') as WorkQueueName;
    // Written by the queue's consumer, as its wrapper does: the office replays only what the rightful consumer dead-lettered.
    await stack.probe.publishAs(workQueues[queue].service, 'dlx', routingKey, body, {
      messageId,
      correlationId: 'corr-1',
      headers: {
        'x-error-code': opts.errorCode ?? 'BLOCKED',
        'x-error-message': 'it failed',
        'x-original-exchange': opts.exchange ?? exchangeName(stack.namespace, 'commands'),
        'x-original-routing-key': routingKey,
        'x-original-queue': queueName(stack.namespace, queue),
        'x-service': workQueues[queue].service,
        'x-attempt': 2,
        ...(opts.reported ? { 'x-outcome-reported': true } : {}),
      },
    });
    return storedId(messageId);
  }
  const storedId = (messageId: string) =>
    waitUntil(
      async () => (await stack.db.query(`SELECT id FROM "${office()}".dead_letters WHERE message_id = $1`, [messageId])).rows[0]?.id as string | undefined,
      30_000,
      `letter ${messageId} stored`,
    );
  const jobLetter = (jobId: string, accountId = 'someone') =>
    deadLetter(
      'authorization.job.requested',
      {
        jobId,
        accountId,
        profileId: 'profile-1',
        authorizeUrl: 'http://127.0.0.1:9/authorize',
        redirectUri: 'http://127.0.0.1:9/oauth/callback',
        deadline: new Date().toISOString(),
        attempt: 2,
      },
      { reported: true },
    );
  const login = (exchange?: string) =>
    deadLetter(
      'user.login.requested',
      { requestId: randomUUID(), accountId: 'nobody_here' },
      { exchange, queue: 'orchestrator.login-requests', errorCode: 'UNKNOWN_ACCOUNT' },
    );

  function outcomes(r: {
    dryRun: boolean;
    done: Array<{ id: string }>;
    wouldDo: Array<{ id: string }>;
    refused: Array<{ id: string; code: string; message: string }>;
  }): Outcome[] {
    return [
      ...(r.dryRun ? r.wouldDo : r.done).map((d) => ({ id: d.id, outcome: 'replay' })),
      ...r.refused.map((f) => ({ id: f.id, outcome: f.code, message: f.message })),
    ].sort((a, b) => a.id.localeCompare(b.id));
  }

  it('when a selection holds a letter for every refusal reason and replayable ones, then the dry run reports exactly what the real replay then does', async () => {
    const discarded = await login();
    expect((await postJson(`${stack.gateway.url}/v1/dead-letters/${discarded}/discard`, { reason: 'bad data' }, auth)).status).to.equal(200);
    const limitReached = await deadLetter('user.login.requested', 'not json', { queue: 'orchestrator.login-requests', errorCode: 'MESSAGE_UNPARSEABLE' });
    expect((await postJson(`${stack.gateway.url}/v1/dead-letters/${limitReached}/replay`, { reason: 'spend the one replay' }, auth)).status).to.equal(200);
    const redacted = await deadLetter(
      'authorization.consent.captured',
      { jobId: randomUUID(), code: '[REDACTED]', state: '[REDACTED]' },
      { queue: 'orchestrator.authorization-results' },
    );
    const unknownTarget = await login('somebody-elses-exchange');
    const succeeded = await jobLetter((await insertJob('acct_done', 'succeeded', null)).jobId, 'acct_done');
    const unknownJob = await jobLetter(randomUUID());
    const mismatch = await jobLetter((await insertJob('acct_mismatch', 'failed', 'IDENTITY_MISMATCH')).jobId, 'acct_mismatch');
    const older = await insertJob('acct_twice', 'failed', 'BLOCKED', new Date(Date.now() - 60_000));
    await insertJob('acct_twice', 'expired', 'JOB_EXPIRED');
    const superseded = await jobLetter(older.jobId, 'acct_twice');
    const reopenable = await insertJob('acct_again', 'dead_lettered', 'BLOCKED');
    const jobReplay = await jobLetter(reopenable.jobId, 'acct_again');
    const plainReplay = await login();

    const expected: Record<string, string> = {
      [discarded]: 'DEAD_LETTER_DISCARDED',
      [limitReached]: 'REPLAY_LIMIT_REACHED',
      [redacted]: 'REPLAY_NOT_POSSIBLE',
      [unknownTarget]: 'REPLAY_TARGET_UNKNOWN',
      [succeeded]: 'JOB_NOT_REOPENABLE',
      [unknownJob]: 'UNKNOWN_JOB',
      [mismatch]: 'JOB_NOT_REOPENABLE',
      [superseded]: 'JOB_NOT_REOPENABLE',
      [jobReplay]: 'replay',
      [plainReplay]: 'replay',
    };
    const ids = Object.keys(expected);
    const dry = await postJson(`${stack.gateway.url}/v1/dead-letters/replay`, { ids, reason: 'see first', dryRun: true }, auth);
    expect(dry.status, JSON.stringify(dry.body)).to.equal(200);
    expect(dry.body.done).to.deep.equal([]);
    expect(dry.body.wouldDo).to.deep.include({ id: jobReplay, reopensJobId: reopenable.jobId });
    const forecast = outcomes(dry.body);
    expect(Object.fromEntries(forecast.map((o) => [o.id, o.outcome]))).to.deep.equal(expected);

    // The dry run changed nothing.
    expect((await stack.db.query(`SELECT status FROM "${orch()}".authorization_jobs WHERE job_id = $1`, [reopenable.jobId])).rows).to.deep.equal([
      { status: 'dead_lettered' },
    ]);
    expect((await stack.db.query(`SELECT 1 FROM "${orch()}".operator_actions`)).rowCount).to.equal(0);
    expect(
      (await stack.db.query(`SELECT replay_count FROM "${office()}".dead_letters WHERE id = ANY($1) AND replay_count > 0`, [[jobReplay, plainReplay]]))
        .rowCount,
    ).to.equal(0);

    const real = await postJson(`${stack.gateway.url}/v1/dead-letters/replay`, { ids, reason: 'now for real', rate: 50 }, auth);
    expect(real.status, JSON.stringify(real.body)).to.equal(200);
    expect(real.body.wouldDo).to.deep.equal([]);
    expect(outcomes(real.body), 'the real replay did what the dry run said, with the same reasons').to.deep.equal(forecast);
    expect(forecast.find((o) => o.id === superseded)!.message).to.contain('a newer job');

    // The job letter reopened its job: attempt 1, a fresh deadline, no error, its request waiting again, a fresh job message caused by the letter.
    const job = (
      await stack.db.query(`SELECT status, attempt, error_code, deadline > now() AS fresh FROM "${orch()}".authorization_jobs WHERE job_id = $1`, [
        reopenable.jobId,
      ])
    ).rows[0];
    expect(job).to.deep.equal({ status: 'dispatched', attempt: 1, error_code: null, fresh: true });
    expect((await stack.db.query(`SELECT outcome FROM "${orch()}".login_requests WHERE request_id = $1`, [reopenable.requestId])).rows).to.deep.equal([
      { outcome: 'accepted' },
    ]);
    const done = real.body.done.find((d: { id: string }) => d.id === jobReplay);
    expect(done).to.include({ reopenedJobId: reopenable.jobId });
    const jobMessage = await stack.db.query(`SELECT causation_id FROM "${orch()}".outbox WHERE message_id = $1 AND type = 'authorization.job.requested'`, [
      done.replayMessageId,
    ]);
    const letterMessageId = (await stack.db.query(`SELECT message_id FROM "${office()}".dead_letters WHERE id = $1`, [jobReplay])).rows[0].message_id;
    expect(jobMessage.rows).to.deep.equal([{ causation_id: letterMessageId }]);
    const audit = await stack.db.query(`SELECT action, actor, reason, params->>'jobId' AS job FROM "${orch()}".operator_actions`);
    expect(audit.rows).to.deep.equal([{ action: 'job.reopen', actor: 'dev-admin', reason: 'now for real', job: reopenable.jobId }]);
  });

  it('when a job is reopened by id, then a dry run and the real call agree, and a job that cannot be reopened is refused with the reason', async () => {
    const { jobId } = await insertJob('acct_by_id', 'expired', 'JOB_EXPIRED');
    const url = `${stack.gateway.url}/v1/jobs/${jobId}/reopen`;
    const dry = await postJson(url, { reason: 'look', dryRun: true }, auth);
    expect(dry.body).to.deep.equal({ jobId, dryRun: true, reopened: true, requests: 1 });
    const real = await postJson(url, { reason: 'go' }, auth);
    expect(real.status).to.equal(200);
    expect(real.body).to.include({ jobId, dryRun: false, reopened: true, requests: 1 });
    for (const dryRun of [true, false]) {
      const refused = await postJson(url, { reason: 'again', dryRun }, auth);
      expect(refused.status).to.equal(409);
      expect(refused.body).to.include({ code: 'JOB_NOT_REOPENABLE', message: `job ${jobId} cannot be reopened: it is still dispatched` });
    }
    expect((await postJson(`${stack.gateway.url}/v1/jobs/${randomUUID()}/reopen`, { reason: 'x' }, auth)).body.code).to.equal('UNKNOWN_JOB');
  });
});
