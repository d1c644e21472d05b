import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { workQueues } from '@xauth/contracts';
import { AMQP_URL, ServiceProcess, startStack, waitUntil, type Received, type Stack } from '../src/index.js';

const isFor = (requestId: string) => (r: Received) => (r.body as { requestId?: string }).requestId === requestId;
const CRASHING_CONSUMER = fileURLToPath(new URL('../src/fixtures/crashing-consumer.js', import.meta.url));

describe('processes that die (real child processes, RabbitMQ, PostgreSQL, Chromium)', function () {
  this.timeout(240_000);
  let stack: Stack;
  const workers: ServiceProcess[] = [];

  afterEach(async () => {
    for (const w of workers.splice(0)) await w.kill('SIGKILL');
    await stack?.stop();
  });

  it('when a message crashes its consumer process on every delivery, then the delivery limit dead-letters it instead of looping', async () => {
    stack = await startStack();
    await stack.orchestrator.stop();
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_001' });
    const limit = workQueues['orchestrator.login-requests'].deliveryLimit;
    let crashes = 0;
    for (; crashes <= limit + 2; crashes++) {
      const child = spawn(process.execPath, [CRASHING_CONSUMER, AMQP_URL, stack.namespace], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const exit = once(child, 'exit');
      // It gets the message and crashes, or, once the broker has dead-lettered it, sits idle.
      const idle = waitUntil(() => out.includes('consuming') || undefined, 30_000, 'the consumer to start').then(
        () => new Promise((r) => setTimeout(r, 3_000, 'idle')),
        () => 'no start',
      );
      const outcome = await Promise.race([exit.then(() => 'crashed'), idle]);
      if (outcome === 'crashed') continue;
      child.kill('SIGKILL');
      await exit;
      break;
    }
    const dead = await stack.probe.waitForDeadLetter(isFor(requestId), 30_000);
    expect(crashes, 'crashed deliveries before the broker gave up').to.equal(limit + 1);
    const death = (dead.properties.headers?.['x-death'] as Array<{ reason: string; queue: string }>)[0]!;
    expect(death).to.include({ reason: 'delivery_limit', queue: `${stack.namespace}.orchestrator.login-requests` });
    expect(dead.body).to.deep.include({ requestId });
  });

  it('when a browser worker gets SIGTERM mid-job, then it finishes or returns the job, closes its browsers and exits within SHUTDOWN_TIMEOUT_MS', async () => {
    stack = await startStack({ inProcessWorker: false, xsim: { interstitialMs: 50 } });
    const env = { ...stack.env, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '15000' };
    const worker = await ServiceProcess.start('browser-worker', env);
    workers.push(worker);
    stack.xsim.state.setScenario('xsim_user_024', 'slow', { latencyMs: 2_000 });
    const started = await stack.probe.listen('authorization.job.started');
    const done = await stack.probe.listen('user.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_024' });
    await started.waitFor(() => true, 60_000, 'authorization.job.started');

    const t0 = Date.now();
    const exit = await worker.kill('SIGTERM');
    expect(exit.code, worker.lines.slice(-10).join('\n')).to.equal(0);
    expect(Date.now() - t0).to.be.below(15_000 + 2_000);
    expect(worker.logged('shutting down')).to.have.lengthOf(1);
    // What it held was finished or given back: with a fresh worker the request completes.
    workers.push(await ServiceProcess.start('browser-worker', env));
    const ev = await done.waitFor(isFor(requestId), 120_000, 'the outcome after the drain');
    expect(ev.routingKey).to.equal('user.authenticated');
    await waitUntil(() => stack.xsim.state.runningBrowsers().length === 0 || undefined, 30_000, 'every profile to be stopped');
  });
});
