import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ChromiumCensus } from '@xauth/shared/chromium';
import { getJson, getServiceToken, startStack, type Stack } from '../src/index.js';

const census = new ChromiumCensus();
const run = promisify(execFile);
const IMPORT_COMMAND = join(dirname(createRequire(import.meta.url).resolve('@xauth/browser-worker')), 'entry-points/cli/import-cookies.command.js');
const ACCOUNT = 'xsim_user_009';

describe('local profiles (PROFILE_PROVIDER=local): the worker launches Chromium on a profile directory', function () {
  this.timeout(180_000);
  let stack: Stack | undefined;
  let profilesDir: string;
  let before: number[];

  beforeEach(async () => {
    before = census.pids();
    profilesDir = await mkdtemp(join(tmpdir(), 'xauth-profiles-'));
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    await rm(profilesDir, { recursive: true, force: true, maxRetries: 5 });
    expect(await census.leftSince(before), 'Chromium processes the test left').to.deep.equal([]);
  });

  it('when a profile is seeded with profiles:import from a cookie export, then the login succeeds and the token works at X', async () => {
    stack = await startStack({ xsim: { interstitialMs: 50 }, env: { PROFILE_PROVIDER: 'local', LOCAL_PROFILES_DIR: profilesDir } });
    const profileId = stack.xsim.state.profileOf(ACCOUNT)!.id;
    const exported = await getJson(`${stack.xsim.url}/_sim/users/${ACCOUNT}/cookies`);
    expect(exported.status).to.equal(200);
    const file = join(profilesDir, 'cookies.json');
    await writeFile(file, JSON.stringify(exported.body));

    const imported = await run(process.execPath, [IMPORT_COMMAND, '--profile', profileId, '--cookies', file], {
      env: { PATH: process.env.PATH, ...census.env, LOCAL_PROFILES_DIR: profilesDir, LOG_LEVEL: 'warn' },
    });
    expect(JSON.parse(imported.stdout.trim().split('\n').pop()!)).to.include({ profileId, imported: 1, sessionCookies: 0 });
    expect(imported.stdout + imported.stderr, 'cookie values never printed').not.to.contain(stack.xsim.state.profileOf(ACCOUNT)!.sessionToken);

    const events = await stack.probe.listen('user.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: ACCOUNT });
    const outcome = await events.waitFor((e) => (e.body as { requestId?: string }).requestId === requestId, 120_000, 'the outcome');
    expect(outcome.routingKey, JSON.stringify(outcome.body)).to.equal('user.authenticated');
    // GoLogin never started a browser: the worker launched the local profile itself.
    expect(stack.xsim.state.stats().startsByProfile).to.deep.equal({});

    const jwt = await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret');
    const tok = await getJson(`${stack.gateway.url}/v1/accounts/${ACCOUNT}/token`, { authorization: `Bearer ${jwt}` });
    const me = await getJson(`${stack.xsim.url}/2/users/me`, { authorization: `Bearer ${tok.body.accessToken}` });
    expect(me.status).to.equal(200);
    expect(me.body.data).to.include({ username: ACCOUNT });
  });

  it('when a local profile has no imported session, then the login wall is recognised (LOGIN_REQUIRED) and no browser is left', async () => {
    stack = await startStack({ xsim: { interstitialMs: 50 }, env: { PROFILE_PROVIDER: 'local', LOCAL_PROFILES_DIR: profilesDir } });
    const events = await stack.probe.listen('user.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_010' });
    const outcome = await events.waitFor((e) => (e.body as { requestId?: string }).requestId === requestId, 120_000, 'the outcome');
    expect(outcome.routingKey).to.equal('user.authentication.failed');
    expect(outcome.body).to.include({ errorCode: 'LOGIN_REQUIRED' });
  });
});
