import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { loadOrchestratorConfig, startOrchestrator, type RunningOrchestrator } from '@xauth/orchestrator';
import { parseGatewayConfig, startGateway } from '@xauth/gateway';
import { simUsername } from '@xauth/x-sim';
import { INTERNAL_TOKENS, createLogger } from '@xauth/shared';
import { getJson, schemaOf, startStack, waitUntil, type Stack } from '../src/index.js';

const silent = (service: string) => ({ logger: createLogger({ service, silent: true }) });
import { adminApi, seedTokens, xauthCli } from './support/operator.helper.js';

const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;
const users = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => simUsername(from + i));

describe('re-encryption under the active key (RabbitMQ, PostgreSQL, x-sim; no browser)', function () {
  this.timeout(180_000);
  let stack: Stack | undefined;
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    await stack?.stop();
    stack = undefined;
  });

  it('when an operator re-encrypts after making a new key active, then no row is left on the old key and token reads never fail meanwhile', async () => {
    const oldKey = key('old');
    const newKey = key('new');
    // Step 1 of a rotation: every replica knows both keys, the old one still encrypts.
    stack = await startStack({
      inProcessWorker: false,
      env: { ENCRYPTION_KEYS: `${oldKey},${newKey}`, RATE_LIMIT_PER_MINUTE: '1000000', REENCRYPT_LIMIT: '40' },
    });
    const s = stack;
    const accounts = users(1, 45);
    await seedTokens(s, accounts);
    // Jobs hold a PKCE state and verifier (no worker runs, so they stay queued).
    const authenticated = await s.probe.listen('user.authenticated');
    for (const accountId of users(46, 50)) s.probe.publishCommand('user.login.requested', { requestId: randomUUID(), accountId });
    await waitUntil(async () => (await s.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(s)}".authorization_jobs`)).rows[0].n === 5, 30_000, 'five jobs');

    // Step 2: a replica whose first key is the new one (behind its own gateway) re-encrypts; the old replica keeps serving reads.
    const replica: RunningOrchestrator = await startOrchestrator(
      loadOrchestratorConfig({ ...s.env, ENCRYPTION_KEYS: `${newKey},${oldKey}` }),
      silent('orchestrator'),
    );
    stops.push(() => replica.stop());
    const gateway = await startGateway(parseGatewayConfig({ ...s.env, ORCHESTRATOR_URL: replica.url, DEAD_LETTERS_URL: s.deadLetters.url }), silent('gateway'));
    stops.push(() => gateway.stop());

    const before = JSON.parse((await xauthCli(gateway.url, ['keys', 'usage', '--json'])).stdout);
    expect(before).to.deep.include({ activeKeyId: 'new', configuredKeyIds: ['new', 'old'], rowsNotOnActiveKey: 50 });
    expect(before.keys).to.deep.include({ keyId: 'old', tokens: 45, jobs: 5, active: false, configured: true });

    // Consumers read every token in a loop through the old replica while the pass runs.
    const api = await adminApi(s.gateway.url);
    let reading = true;
    const failures: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        for (const accountId of accounts) {
          const r = await api.get(`/v1/accounts/${accountId}/token`);
          reads++;
          if (r.status !== 200 || r.body.accessToken !== `access-${accountId}`) failures.push(`${accountId}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    })();
    const run = await xauthCli(gateway.url, ['keys', 'reencrypt']);
    const readsDuringPass = reads;
    reading = false;
    await reader;
    expect(run.code, run.stderr).to.equal(0);
    // Pages of REENCRYPT_LIMIT rows, with progress, then the rows per key.
    expect(run.stdout).to.match(/^pass 1: re-encrypted 40 token row\(s\), 0 job row\(s\) under new; 10 row\(s\) left on other keys$/m);
    expect(run.stdout).to.match(/^pass 1: re-encrypted 5 token row\(s\), 5 job row\(s\) under new; 0 row\(s\) left on other keys$/m);
    expect(run.stdout).to.contain('every row is on the active key new');
    expect(failures).to.deep.equal([]);
    expect(readsDuringPass).to.be.above(0);

    const { rows } = await s.db.query(
      `SELECT (SELECT count(*)::int FROM "${schemaOf(s)}".tokens WHERE access_token_enc NOT LIKE 'v1.new.%' OR refresh_token_enc NOT LIKE 'v1.new.%') AS tokens,
              (SELECT count(*)::int FROM "${schemaOf(s)}".authorization_jobs WHERE state_enc NOT LIKE 'v1.new.%' OR verifier_enc NOT LIKE 'v1.new.%') AS jobs`,
    );
    expect(rows[0]).to.deep.equal({ tokens: 0, jobs: 0 });
    const usage = await xauthCli(gateway.url, ['keys', 'usage']);
    expect(usage.stdout)
      .to.match(/^new\s+45\s+5\s+active$/m)
      .and.match(/^old\s+0\s+0\s+configured$/m);

    // Step 3: the old key removed, the new ciphertexts still decrypt (tokens, and a job's state and verifier through a real answer).
    const onlyNew: RunningOrchestrator = await startOrchestrator(loadOrchestratorConfig({ ...s.env, ENCRYPTION_KEYS: newKey }), silent('orchestrator'));
    stops.push(() => onlyNew.stop());
    for (const accountId of accounts) {
      const read = await getJson(`${onlyNew.url}/internal/v1/accounts/${accountId}/token`, {
        authorization: `Bearer ${INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR}`,
      });
      expect(read.body.accessToken).to.equal(`access-${accountId}`);
      const t = await onlyNew.deps.store.getToken(accountId, 'xauth-dev');
      expect(onlyNew.deps.keyring.decrypt(t!.refreshTokenEnc!, `${accountId}/xauth-dev`)).to.equal(`refresh-${accountId}`);
    }
    const jobs = (await s.db.query(`SELECT job_id, state_enc, verifier_enc FROM "${schemaOf(s)}".authorization_jobs`)).rows as Array<{
      job_id: string;
      state_enc: string;
      verifier_enc: string;
    }>;
    for (const j of jobs)
      expect(() => [onlyNew.deps.keyring.decrypt(j.state_enc, j.job_id), onlyNew.deps.keyring.decrypt(j.verifier_enc, j.job_id)]).not.to.throw();
    expect(authenticated.all).to.have.length(0);
  });
});
