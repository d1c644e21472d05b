import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ChromiumCensus } from '@xauth/shared/chromium';
import { getJson, startStack, type Stack } from '../src/index.js';
import { ConsoleBrowser } from './support/console-browser.helper.js';
import { loginOverHttp } from './support/http-consent.helper.js';

const census = new ChromiumCensus();

describe('operator console: the accounts section, in a real Chromium (RabbitMQ, PostgreSQL, x-sim)', function () {
  this.timeout(180_000);
  let stack: Stack;
  const consoleBrowser = new ConsoleBrowser();
  let before: number[];

  beforeEach(async () => {
    before = census.pids();
    // No browser worker: the login's consent is answered over HTTP; the one Chromium here shows the console.
    stack = await startStack({ inProcessWorker: false, env: { REFRESH_INTERVAL_MS: '3600000' } });
  });
  afterEach(async () => {
    await consoleBrowser.close();
    await stack?.stop();
    expect(await census.leftSince(before), 'Chromium processes the test left').to.deep.equal([]);
  });

  async function signIn(): Promise<Page> {
    const { page } = await consoleBrowser.open(stack.gateway.url);
    await ConsoleBrowser.signIn(page);
    return page;
  }

  it('when an operator finds an account, pauses it with a reason and offboards it, then the page shows each step and X revoked both tokens', async () => {
    await loginOverHttp(stack, 'xsim_user_012');
    const page = await signIn();
    await page.locator('#accounts-summary', { hasText: 'In all 50 account(s), 0 paused' }).waitFor();
    await page.locator('#accounts-counts tbody tr', { hasText: 'none' }).waitFor();

    await page.fill('#accounts-prefix', 'xsim_user_012');
    await page.click('#accounts-filters button[type=submit]');
    await page.locator('#accounts-summary', { hasText: '1 match' }).waitFor();
    const row = page.locator('#accounts tbody tr[data-account="xsim_user_012"]');
    expect(await row.textContent())
      .to.contain('xauth-dev: active')
      .and.contain('succeeded');
    await row.locator('button').click();
    await page.locator('#account-id', { hasText: 'xsim_user_012' }).waitFor();
    await page.locator('#account-jobs tbody tr', { hasText: 'succeeded' }).waitFor();

    // A reason with markup stays text.
    await page.fill('#account-reason', '<img src=x id=injected> under review');
    await page.click('#account-pause');
    await page.locator('#account-result', { hasText: 'paused xsim_user_012' }).waitFor();
    await page.locator('#account-fields dd[data-field="paused"]', { hasText: 'yes, by dev-admin: <img src=x id=injected> under review' }).waitFor();
    expect(await page.locator('#injected').count()).to.equal(0);
    await page.locator('#account-events tbody tr', { hasText: 'paused' }).waitFor();
    expect(await row.textContent()).to.contain('paused');

    await page.fill('#account-reason', 'account sold');
    await page.click('#account-offboard');
    await page.locator('#account-result', { hasText: 'offboarded xsim_user_012: tokens revoked at X and deleted (xauth-dev)' }).waitFor();
    await page.locator('#accounts-summary', { hasText: '0 match' }).waitFor();
    const revoked = (await getJson(`${stack.xsim.url}/_sim/revocations?user=xsim_user_012`)).body as Array<{ kind: string }>;
    expect(revoked.map((r) => r.kind)).to.have.members(['access_token', 'refresh_token']);
  });
});
