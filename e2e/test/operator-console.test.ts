import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ChromiumCensus } from '@xauth/shared/chromium';
import { schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';
import { ConsoleBrowser } from './support/console-browser.helper.js';
import { seedTokens } from './support/operator.helper.js';

const ACCOUNT = 'xsim_user_031';
const census = new ChromiumCensus();

describe('operator console, in a real Chromium (RabbitMQ, PostgreSQL, x-sim)', function () {
  this.timeout(180_000);
  let stack: Stack;
  const consoleBrowser = new ConsoleBrowser();
  let before: number[];

  beforeEach(async () => {
    before = census.pids();
    stack = await startStack({ env: { PROFILE_SYNC_MIN_GAP_MS: '0', MAX_REPLAYS: '1' } });
  });
  afterEach(async () => {
    await consoleBrowser.close();
    await stack?.stop();
    expect(await census.leftSince(before), 'Chromium processes the test left').to.deep.equal([]);
  });

  async function openConsole(): Promise<Page> {
    const { page, response } = await consoleBrowser.open(stack.gateway.url);
    expect(response?.headers()['content-security-policy']).to.contain("frame-ancestors 'none'");
    return page;
  }

  it('when an operator signs in, finds a dead letter and replays it after the cause is fixed, then the page shows it replayed and the login completes', async () => {
    // A login for an account the orchestrator cannot map while GoLogin fails: dead-lettered as UNKNOWN_ACCOUNT.
    const requestId = randomUUID();
    await stack.db.query(`DELETE FROM "${schemaOf(stack)}".profiles WHERE account_key = $1`, [ACCOUNT]);
    stack.xsim.state.addFault({ endpoint: 'gologin', status5xx: true });
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: ACCOUNT });
    await stack.probe.waitForDeadLetter((r) => (r.body as { requestId?: string }).requestId === requestId, 30_000);
    const authenticated = await stack.probe.listen('user.authenticated');

    const page = await openConsole();
    await page.fill('#client-id', 'dev-admin');
    await page.fill('#client-secret', 'wrong-secret');
    await page.click('#sign-in-button');
    await page.locator('#sign-in-error').filter({ hasText: 'INVALID_CLIENT' }).waitFor();

    await page.fill('#client-secret', 'dev-admin-secret');
    await page.click('#sign-in-button');
    await page.locator('#counts-by-code tbody tr', { hasText: 'UNKNOWN_ACCOUNT' }).waitFor();
    expect(await page.locator('#sign-in').isVisible(), 'the sign-in form is gone once signed in').to.equal(false);
    expect(await page.locator('#who').textContent()).to.equal('signed in as dev-admin');
    const row = page.locator('#letters tbody tr', { hasText: 'UNKNOWN_ACCOUNT' });
    await row.locator('button').click();
    await page.locator('#letter-body', { hasText: requestId }).waitFor();
    expect(await page.locator('dd[data-field="status"]').textContent()).to.equal('new');
    expect(await page.locator('#letter-not-replayable').textContent()).to.equal('');

    stack.xsim.state.reset(); // the cause is fixed: GoLogin lists the profile again
    await page.fill('#act-reason', 'GoLogin is back');
    await page.click('#replay-button');
    await page.locator('#act-result', { hasText: /^replayed as [0-9a-f-]{36}$/ }).waitFor();
    await page.locator('dd[data-field="status"]', { hasText: 'replayed' }).waitFor();
    await page.locator('#letter-actions tbody tr', { hasText: 'GoLogin is back' }).waitFor();
    expect(await page.locator('#letter-actions tbody tr').first().textContent()).to.contain('dev-admin');
    await authenticated.waitFor((r) => (r.body as { requestId?: string }).requestId === requestId, 120_000, 'user.authenticated after the replay');

    // Past MAX_REPLAYS the office refuses, and the page shows its code and message.
    await page.click('#replay-button');
    await page.locator('#act-result.error', { hasText: /^REPLAY_LIMIT_REACHED: dead letter .* was replayed 1 times, the limit/ }).waitFor();

    // A dry run of the filtered letters shows, per letter, what the replay would refuse and why.
    await page.selectOption('#filter-status', 'replayed');
    await page.fill('#filter-error-code', 'UNKNOWN_ACCOUNT');
    await page.fill('#bulk-reason', 'what would happen?');
    await page.click('#bulk-dry-run');
    await page.locator('#bulk-summary', { hasText: 'dry run: 0 of 1 would be replayed, 1 would be refused' }).waitFor();
    expect(await page.locator('#bulk-result tbody tr').textContent())
      .to.contain('would be refused')
      .and.contain('REPLAY_LIMIT_REACHED');

    // Request failed logins again: the dry run lists the account whose newest job failed with the code.
    const jobId = randomUUID();
    await stack.db.query(
      `INSERT INTO "${schemaOf(stack)}".authorization_jobs (job_id, account_id, account_key, app, profile_id, scopes, status, attempt, redirect_uri, state_enc, verifier_enc, deadline, error_code)
      VALUES ($1, 'acct_console', 'acct_console', 'xauth-dev', 'p', 's', 'dead_lettered', 2, 'http://127.0.0.1:9/cb', 'x', 'x', now(), 'BLOCKED')`,
      [jobId],
    );
    await page.fill('#relogin-error-code', 'BLOCKED');
    await page.fill('#relogin-reason', 'CDN fixed');
    await page.click('#relogin-dry-run');
    await page.locator('#relogin-summary', { hasText: 'dry run: 1 of 1 would be requested again, 0 would be refused' }).waitFor();
    expect(await page.locator('#relogin-result tbody tr').textContent())
      .to.contain('acct_console')
      .and.contain(jobId)
      .and.contain('would be requested');

    // A login campaign over two accounts that hold tokens: started, then its row shows both succeeded.
    await seedTokens(stack, ['xsim_user_041', 'xsim_user_042', 'xsim_user_043']);
    await page.selectOption('#campaign-kind', 'accounts');
    await page.fill('#campaign-argument', 'xsim_user_041, xsim_user_042');
    await page.fill('#campaign-reason', 'console campaign');
    await page.click('#campaign-create-button');
    const started = await page.locator('#campaign-summary', { hasText: /^started campaign [0-9a-f-]{36}: 2 login\(s\)/ }).textContent();
    const campaignId = /campaign ([0-9a-f-]{36})/.exec(started!)![1]!;
    const campaignRow = page.locator(`#campaigns tbody tr[data-id="${campaignId}"]`);
    await waitUntil(
      async () => {
        await page.click('#campaigns-refresh');
        return (await campaignRow.getAttribute('data-status')) === 'finished';
      },
      30_000,
      'the campaign finished on the page',
    );
    expect(await campaignRow.locator('td').allTextContents()).to.deep.equal([campaignId, 'finished', '2', '2', '0', '0', '0', '0', '0', '']);
    // A slow one paused, then cancelled, from its row's buttons.
    await page.fill('#campaign-argument', 'xsim_user_043');
    await page.fill('#campaign-rate', '0.1');
    await page.click('#campaign-create-button');
    const slowId = /campaign ([0-9a-f-]{36})/.exec(
      (await page.locator('#campaign-summary', { hasText: /^started campaign [0-9a-f-]{36}: 1 login/ }).textContent())!,
    )![1]!;
    await page.locator(`#campaigns tbody tr[data-id="${slowId}"] button[data-action="pause"]`).click();
    await page.locator(`#campaigns tbody tr[data-id="${slowId}"][data-status="paused"]`).waitFor();
    await page.locator(`#campaigns tbody tr[data-id="${slowId}"] button[data-action="cancel"]`).click();
    await page.locator(`#campaigns tbody tr[data-id="${slowId}"][data-status="cancelled"]`).waitFor();
    expect(await page.locator(`#campaigns tbody tr[data-id="${slowId}"] td`).nth(8).textContent()).to.equal('1');
  });

  it('when GoLogin fails until its breaker opens, then the console shows that breaker open, with the service and the last error', async () => {
    stack.xsim.state.addFault({ endpoint: 'gologin', status5xx: 503 });
    for (let i = 1; i <= 6; i++) stack.probe.publishCommand('user.login.requested', { requestId: randomUUID(), accountId: `xsim_user_00${i}` });
    const page = await openConsole();
    await ConsoleBrowser.signIn(page);
    await page.locator('#who', { hasText: 'signed in as dev-admin' }).waitFor();
    const open = page.locator('#breakers tbody tr[data-state="open"]', { hasText: 'gologin:' });
    await waitUntil(
      async () => {
        await page.click('#breakers-refresh');
        return (await open.count()) === 1;
      },
      90_000,
      'the GoLogin breaker shown open',
    );
    expect(await open.textContent())
      .to.contain('browser-worker')
      .and.contain('open')
      .and.contain('503');
  });
});
