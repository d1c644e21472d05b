import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startStack, waitUntil, type Stack } from '../src/index.js';

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
    expect(dry.stdout.trim()).to.equal('dry run: 1 dead letter(s) would be replayed');
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
