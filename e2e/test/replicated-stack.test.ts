import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { INTERNAL_TOKENS, createLogger } from '@xauth/shared';
import { loadOrchestratorConfig, startOrchestrator } from '@xauth/orchestrator';
import { loadDeadLettersConfig, startDeadLetters } from '@xauth/dead-letters';
import { parseGatewayConfig, startGateway } from '@xauth/gateway';
import {
  RoundRobinProxy,
  SERVED_BY,
  ServiceProcess,
  getJson,
  getServiceToken,
  postJson,
  startStack,
  waitUntil,
  type EventCollector,
  type Received,
  type Stack,
} from '../src/index.js';

const silent = (service: string) => ({ logger: createLogger({ service, silent: true }) });
const body = <T = Record<string, unknown>>(r: Received) => r.body as T;
const answers = (r: Received) => r.routingKey === 'user.authenticated' || r.routingKey === 'user.authentication.failed';

const SUCCEEDING = ['xsim_user_041', 'xsim_user_042', 'xsim_user_043', 'xsim_user_044', 'xsim_user_045', 'xsim_user_046'];
const CAPTCHA = 'xsim_user_047';
const BLOCKED = 'xsim_user_048';

interface Artifact {
  name: string;
  href: string;
  contentType: string;
}

/**
 * Every service replicated, as on several machines: 2 gateways behind a round-robin proxy (the
 * load balancer), 2 orchestrators, 2 dead-letter offices and 3 browser-workers (separate
 * processes, each with its own browser pool), each kind behind a round-robin proxy as a
 * Kubernetes Service would be. Everything a client does goes through the front proxy.
 */
describe('every service replicated (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(420_000);
  let stack: Stack | undefined;
  const stops: Array<() => Promise<unknown>> = [];
  const workers: ServiceProcess[] = [];

  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      for (const w of workers)
        console.log(
          `--- ${w.name} (${w.url})\n${w.lines
            .filter((l) => /"level":"(warn|error)"|artifact/.test(l))
            .slice(-30)
            .join('\n')}`,
        );
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
    workers.length = 0;
    await stack?.stop();
    stack = undefined;
  });

  it('when logins, refreshes, dead-letter replays and artifact downloads go through any replica, then every request is answered once and every artifact link works from either gateway', async () => {
    // One attempt: a BLOCKED page is dead-lettered at once (with its artifacts), so the replay is the second run.
    stack = await startStack({
      inProcessWorker: false,
      env: {
        MAX_ATTEMPTS: 'browser-worker.authorization-jobs=1',
        ARTIFACTS_TRACE_FROM_ATTEMPT: '1',
        PROFILE_SYNC_MIN_GAP_MS: '0',
        REFRESH_INTERVAL_MS: '3600000',
      },
    });
    const s = stack;
    const events: EventCollector = await s.probe.listen('#');

    // The replicas and the Services in front of them.
    const orchestrator2 = await startOrchestrator(loadOrchestratorConfig(s.env), silent('orchestrator'));
    stops.push(() => orchestrator2.stop());
    const orchestrators = await RoundRobinProxy.open([s.orchestrator.url, orchestrator2.url]);
    stops.push(() => orchestrators.close());
    const office2 = await startDeadLetters(loadDeadLettersConfig({ ...s.env, ORCHESTRATOR_URL: orchestrators.url }), silent('dead-letters'));
    stops.push(() => office2.stop());
    const offices = await RoundRobinProxy.open([s.deadLetters.url, office2.url]);
    stops.push(() => offices.close());
    for (let i = 1; i <= 3; i++) {
      // One slot each: three pools of their own, and no more than three Chromiums on the machine.
      const worker = await ServiceProcess.start('browser-worker', {
        ...s.env,
        WORKER_ID: `replica-${i}`,
        MAX_CONCURRENT_PROFILES: '1',
        MIN_CONCURRENT_PROFILES: '1',
      });
      workers.push(worker);
      stops.push(() => worker.kill('SIGTERM'));
    }
    const workerService = await RoundRobinProxy.open(workers.map((w) => w.url!));
    stops.push(() => workerService.close());
    const gateways = [];
    for (let i = 0; i < 2; i++) {
      const gateway = await startGateway(
        parseGatewayConfig({ ...s.env, ORCHESTRATOR_URL: orchestrators.url, DEAD_LETTERS_URL: offices.url, BROWSER_WORKER_URL: workerService.url }),
        silent('gateway'),
      );
      stops.push(() => gateway.stop());
      gateways.push(gateway);
    }
    const front = await RoundRobinProxy.open(gateways.map((g) => g.url));
    stops.push(() => front.close());
    const api = (path: string) => `${front.url}${path}`;
    // A JWT one gateway signed, verified by the other (the signing keys live in the gateway's schema).
    const auth = { authorization: `Bearer ${await getServiceToken(front.url, 'dev-admin', 'dev-admin-secret')}` };

    // Logins, all at once: six that succeed, a captcha (needs a person), a BLOCKED page (dead-lettered).
    s.xsim.state.setScenario(CAPTCHA, 'captcha');
    s.xsim.state.setScenario(BLOCKED, 'blocked');
    const requests = new Map<string, string>();
    for (const accountId of [...SUCCEEDING, CAPTCHA, BLOCKED]) {
      const res = await postJson(api('/v1/logins'), { requestId: randomUUID(), accountId }, auth);
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      requests.set(accountId, res.body.requestId);
    }
    const answerTo = (accountId: string) =>
      events.waitFor((r) => answers(r) && body(r).requestId === requests.get(accountId), 240_000, `the answer to ${accountId}`);
    const answered = new Map<string, Received>();
    for (const accountId of requests.keys()) answered.set(accountId, await answerTo(accountId));
    for (const accountId of SUCCEEDING) expect(answered.get(accountId)!.routingKey, accountId).to.equal('user.authenticated');
    expect(body(answered.get(CAPTCHA)!)).to.include({ errorCode: 'CAPTCHA_REQUIRED' });
    expect(body(answered.get(BLOCKED)!)).to.include({ errorCode: 'BLOCKED' });
    const ranOn = new Set(events.all.filter((r) => r.routingKey === 'authorization.job.started').map((r) => body<{ workerId: string }>(r).workerId));
    expect(ranOn.size, `jobs ran on ${[...ranOn].join(', ')}`).to.be.at.least(2);

    // Refreshes: one each, answered once, and the rotated token is what either gateway reads.
    const before = new Map<string, string>();
    for (const accountId of SUCCEEDING) before.set(accountId, (await getJson(api(`/v1/accounts/${accountId}/token`), auth)).body.accessToken);
    for (const accountId of SUCCEEDING) s.probe.publishCommand('token.refresh.requested', { accountId });
    const refreshedFor = (accountId: string) => events.all.filter((r) => r.routingKey === 'token.refreshed' && body(r).accountId === accountId);
    await waitUntil(() => SUCCEEDING.every((a) => refreshedFor(a).length > 0), 60_000, 'token.refreshed for every account');
    for (const accountId of SUCCEEDING) {
      const reads = [await getJson(api(`/v1/accounts/${accountId}/token`), auth), await getJson(api(`/v1/accounts/${accountId}/token`), auth)];
      expect(reads.map((r) => r.headers.get(SERVED_BY)).sort(), 'read from both gateways').to.deep.equal(['0', '1']);
      for (const r of reads) {
        expect(r.status).to.equal(200);
        expect(r.body.accessToken).to.be.a('string').and.not.equal(before.get(accountId));
      }
      expect(reads[0]!.body.accessToken).to.equal(reads[1]!.body.accessToken);
    }

    // Artifacts of both failures, from either gateway, whichever worker made them and whichever one is asked.
    const jobOf = async (accountId: string) =>
      (await getJson(api(`/v1/jobs/${body<{ jobId: string }>(answered.get(accountId)!).jobId}`), auth)).body as { jobId: string; artifacts: Artifact[] };
    const failedJobs = [await jobOf(CAPTCHA), await jobOf(BLOCKED)];
    for (const job of failedJobs) {
      expect(job.artifacts.map((a) => a.name.split('/').slice(1).join('/')).sort()).to.deep.equal(['1/page.html', '1/screenshot.png', '1/trace.zip']);
      for (const a of job.artifacts) {
        const copies: Array<{ from: string; bytes: Buffer }> = [];
        for (let i = 0; i < 2; i++) {
          const res = await fetch(api(a.href), { headers: auth });
          expect(res.status, `${a.name} via gateway ${res.headers.get(SERVED_BY)}`).to.equal(200);
          expect(res.headers.get('content-type')).to.equal(a.contentType);
          copies.push({ from: res.headers.get(SERVED_BY)!, bytes: Buffer.from(await res.arrayBuffer()) });
        }
        expect(copies.map((c) => c.from).sort(), a.name).to.deep.equal(['0', '1']);
        expect(copies[0]!.bytes.length).to.be.above(0);
        expect(copies[0]!.bytes.equals(copies[1]!.bytes)).to.equal(true);
        // Each worker replica serves it (the gateway may be sent to any of them).
        for (const w of workers) {
          const res = await fetch(`${w.url}/internal/v1/artifacts/${a.name}`, {
            headers: { authorization: `Bearer ${INTERNAL_TOKENS.INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER}` },
          });
          expect(res.status, `${a.name} from ${w.url}`).to.equal(200);
          expect(Buffer.from(await res.arrayBuffer()).equals(copies[0]!.bytes), `${a.name} from ${w.url}`).to.equal(true);
        }
      }
    }
    expect(
      workerService.served.every((n) => n > 0),
      `artifact requests per worker: ${workerService.served.join(', ')}`,
    ).to.equal(true);

    // The dead letter, listed and replayed through either office: the job reopens and the same request is answered again, now a success.
    const listed = await waitUntil(
      async () => {
        const res = await getJson(api('/v1/dead-letters?errorCode=BLOCKED'), auth);
        return res.body.items?.find((d: { body: { jobId?: string } }) => d.body.jobId === failedJobs[1]!.jobId);
      },
      30_000,
      'the BLOCKED dead letter',
    );
    s.xsim.state.setScenario(BLOCKED, 'normal');
    const replay = await postJson(api(`/v1/dead-letters/${listed.id}/replay`), { reason: 'the CDN lets us through again' }, auth);
    expect(replay.status, JSON.stringify(replay.body)).to.equal(200);
    expect(replay.body).to.include({ status: 'replayed', reopenedJobId: failedJobs[1]!.jobId });
    const again = await events.waitFor(
      (r) => r.routingKey === 'user.authenticated' && body(r).requestId === requests.get(BLOCKED),
      120_000,
      'the replayed login answered',
    );
    expect(body(again)).to.include({ accountId: BLOCKED, jobId: failedJobs[1]!.jobId });
    const second = await postJson(api(`/v1/dead-letters/${listed.id}/replay`), { reason: 'once more' }, auth);
    expect(second.status, 'a second replay, through the other office, is refused').to.equal(409);

    // Every request answered once (the replayed one once more, by its replay), every refresh once, every job started once per attempt.
    for (const [accountId, requestId] of requests) {
      const got = events.all.filter((r) => answers(r) && body(r).requestId === requestId).map((r) => r.routingKey);
      expect(got, accountId).to.deep.equal(
        accountId === BLOCKED ? ['user.authentication.failed', 'user.authenticated'] : [answered.get(accountId)!.routingKey],
      );
    }
    for (const accountId of SUCCEEDING) expect(refreshedFor(accountId), `token.refreshed for ${accountId}`).to.have.length(1);
    const starts = events.all.filter((r) => r.routingKey === 'authorization.job.started').map((r) => body<{ jobId: string }>(r).jobId);
    expect(starts).to.have.length(requests.size + 1);
    expect(new Set(starts).size).to.equal(requests.size);
    expect(
      front.served.every((n) => n > 0) && orchestrators.served.every((n) => n > 0) && offices.served.every((n) => n > 0),
      `requests per gateway ${front.served.join(',')}, orchestrator ${orchestrators.served.join(',')}, office ${offices.served.join(',')}`,
    ).to.equal(true);
  });
});
