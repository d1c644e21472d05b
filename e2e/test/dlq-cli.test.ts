import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';

/** The `xauth` command npm linked at install, which `npx xauth` runs (not X11's xauth). */
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/xauth', import.meta.url));

/** Runs the installed `xauth` command as an operator would (asynchronously: the stack lives in this process). */
function xauth(stack: Stack, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { PATH: process.env.PATH ?? '', XAUTH_GATEWAY_URL: stack.gateway.url, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('xauth dlq CLI against a running stack', function () {
  this.timeout(180_000);
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('when an operator lists, shows, replays and discards with the CLI, then the office does it and the output says so', async () => {
    stack.probe.publishCommand('user.login.requested', { requestId: 'not-a-uuid', accountId: 'x' });
    stack.probe.publishCommand('user.login.requested', 'not json');
    await waitUntil(async () => JSON.parse((await xauth(stack, ['dlq', 'list', '--json'])).stdout).total === 2, 30_000, 'two dead letters');

    const table = await xauth(stack, ['dlq', 'list', '--error-code', 'VALIDATION_FAILED']);
    expect(table.code).to.equal(0);
    expect(table.stdout).to.match(/^ID\s+STATUS\s+ERROR CODE/);
    expect(table.stdout).to.contain('VALIDATION_FAILED').and.contain('1-1 of 1').and.not.contain('MESSAGE_UNPARSEABLE');
    const counts = await xauth(stack, ['dlq', 'list', '--counts']);
    expect(counts.stdout).to.contain('2 dead letter(s)').and.contain('MESSAGE_UNPARSEABLE');

    const [invalid] = JSON.parse((await xauth(stack, ['dlq', 'list', '--error-code', 'VALIDATION_FAILED', '--json'])).stdout).items;
    const shown = await xauth(stack, ['dlq', 'show', invalid.id]);
    expect(shown.code).to.equal(0);
    expect(shown.stdout).to.contain(`id:`).and.contain(invalid.id).and.contain('requestId').and.contain('x-error-message');

    const dry = await xauth(stack, ['dlq', 'replay', '--filter', 'errorCode=MESSAGE_UNPARSEABLE', '--dry-run', '--reason', 'count first']);
    const [unparseable] = JSON.parse((await xauth(stack, ['dlq', 'list', '--error-code', 'MESSAGE_UNPARSEABLE', '--json'])).stdout).items;
    expect(dry.stdout.trim()).to.equal(
      `dry run: 1 of 1 matching dead letter(s) would be replayed, 0 refused (the same checks as the real run)\n  ${unparseable.id}  would be replayed`,
    );
    const replay = await xauth(stack, ['dlq', 'replay', '--filter', 'errorCode=MESSAGE_UNPARSEABLE', '--rate', '10', '--reason', 'upstream fixed', '--json']);
    expect(replay.code).to.equal(0);
    expect(JSON.parse(replay.stdout)).to.include({ matched: 1, dryRun: false });

    const discard = await xauth(stack, ['dlq', 'discard', '--id', invalid.id, '--reason', 'bad upstream data']);
    expect(discard.code).to.equal(0);
    expect(discard.stdout).to.contain(`discarded ${invalid.id}`);
    const after = JSON.parse((await xauth(stack, ['dlq', 'show', invalid.id, '--json'])).stdout);
    expect(after.status).to.equal('discarded');
    expect(after.actions).to.deep.include({ ...after.actions[0], action: 'discard', actor: 'dev-admin', reason: 'bad upstream data' });

    const refused = await xauth(stack, ['dlq', 'replay', '--id', invalid.id, '--reason', 'try']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('DEAD_LETTER_DISCARDED');
    const usage = await xauth(stack, ['dlq', 'replay', '--reason', 'nothing chosen']);
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.contain('give --id');
    const wrongSecret = await xauth(stack, ['dlq', 'list'], { XAUTH_CLIENT_SECRET: 'wrong-secret' });
    expect(wrongSecret.code).to.equal(1);
    expect(wrongSecret.stderr).to.match(/INVALID_CLIENT|invalid_client/);
  });

  it('when NODE_ENV is production and no client credentials are given, then the CLI refuses before calling anyone', async () => {
    const res = await xauth(stack, ['dlq', 'list'], { NODE_ENV: 'production' });
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain('XAUTH_CLIENT_ID');
  });
});

describe('xauth logins retry-failed and jobs reopen CLI against a running stack (Chromium, x-sim)', function () {
  this.timeout(180_000);
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack({
      xsim: { interstitialMs: 50 },
      env: { MAX_ATTEMPTS: 'browser-worker.authorization-jobs=1', INTERSTITIAL_TIMEOUT_MS: '3000', PROFILE_SYNC_MIN_GAP_MS: '0' },
    });
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('when an operator requests failed logins again by error code, then the dry run lists the accounts, the real run answers them again and the action is audited', async () => {
    const account = 'xsim_user_005';
    stack.xsim.state.setScenario(account, 'blocked');
    const answers = await stack.probe.listen('user.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: account });
    const failed = await answers.waitFor((r) => (r.body as { requestId?: string }).requestId === requestId, 90_000, 'the failed answer');
    expect(failed.routingKey).to.equal('user.authentication.failed');
    expect(failed.body).to.include({ errorCode: 'BLOCKED' });
    const jobId = (failed.body as { jobId: string }).jobId;
    // Another account's failure with another code is not selected.
    await stack.db.query(
      `INSERT INTO "${schemaOf(stack)}".authorization_jobs (job_id, account_id, account_key, app, profile_id, scopes, status, attempt, redirect_uri, state_enc, verifier_enc, deadline, error_code)
      VALUES ($1, 'acct_other', 'acct_other', 'xauth-dev', 'p', 's', 'failed', 1, 'http://127.0.0.1:9/cb', 'x', 'x', now(), 'CAPTCHA_REQUIRED')`,
      [randomUUID()],
    );

    const dry = await xauth(stack, [
      'logins',
      'retry-failed',
      '--error-code',
      'BLOCKED',
      '--since',
      new Date(Date.now() - 3_600_000).toISOString(),
      '--dry-run',
      '--reason',
      'see who',
    ]);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout)
      .to.contain('dry run: 1 of 1 failed login(s) would be requested again, 0 refused')
      .and.contain(account)
      .and.contain(jobId)
      .and.not.contain('acct_other');

    stack.xsim.state.setScenario(account, 'normal');
    const real = await xauth(stack, ['logins', 'retry-failed', '--error-code', 'BLOCKED', '--reason', 'the CDN lets us through again', '--json']);
    expect(real.code, real.stderr).to.equal(0);
    const result = JSON.parse(real.stdout);
    expect(result).to.deep.include({
      dryRun: false,
      matched: 1,
      more: false,
      refused: [],
      requested: [{ jobId, accountId: account, app: 'xauth-dev', errorCode: 'BLOCKED' }],
    });
    const again = await answers.waitFor(
      (r) => r.routingKey.startsWith('user.authenticated') && (r.body as { requestId?: string }).requestId === requestId,
      90_000,
      'the same request answered again',
    );
    expect(again.body).to.include({ jobId, accountId: account });

    const audit = await stack.db.query(
      `SELECT id::text AS id, action, actor, reason, params->'filter' AS filter, jsonb_array_length(result->'requested') AS requested FROM "${schemaOf(stack)}".operator_actions`,
    );
    expect(audit.rows).to.deep.equal([
      {
        id: result.actionId,
        action: 'logins.retry-failed',
        actor: 'dev-admin',
        reason: 'the CDN lets us through again',
        filter: { errorCode: 'BLOCKED' },
        requested: 1,
      },
    ]);

    // The job succeeded now: reopening it is refused, dry or not, with the reason.
    const reopen = await xauth(stack, ['jobs', 'reopen', jobId, '--dry-run', '--reason', 'once more']);
    expect(reopen.code).to.equal(1);
    expect(reopen.stderr).to.contain('JOB_NOT_REOPENABLE').and.contain('it already succeeded');
  });
});
