import { Bus, Metrics, ServiceRunner, createHttpApp, createLogger, finishHttpApp, listen, type Logger, type RunningServer, type Subscription } from '@xauth/shared';
import { ArtifactStore, startArtifactSweeper } from './failure-artifacts/artifact-store.js';
import { runAuthorizeFlow } from './browser/authorize-flow.js';
import type { BrowserWorkerConfig } from './config.js';
import { GoLoginProvider } from './data-access/gologin.provider.js';
import type { AuthorizeJobDeps } from './domain/authorize-job.use-case.js';
import { artifactsRoutes } from './entry-points/http/artifacts.routes.js';
import { jobRequested } from './entry-points/messaging/job-requested.handler.js';

export interface RunningBrowserWorker {
  url: string;
  stop(): Promise<void>;
}

/**
 * Consumes authorization jobs with prefetch = MAX_CONCURRENT_PROFILES, so the queue, not the
 * worker, holds the backlog; each job opens one profile.
 */
export async function startBrowserWorker(config: BrowserWorkerConfig, opts: { logger?: Logger } = {}): Promise<RunningBrowserWorker> {
  const service = 'browser-worker';
  const logger = opts.logger ?? createLogger({ service, level: config.LOG_LEVEL });
  const metrics = new Metrics(service, { defaultMetrics: true });
  const slotsTotal = metrics.gauge('xauth_pool_slots_total', 'Profiles this worker may hold open at once');
  const slotsBusy = metrics.gauge('xauth_pool_slots_busy', 'Profiles open right now');
  const jobSeconds = metrics.histogram('xauth_browser_job_duration_seconds', 'Browser attempts by outcome', ['outcome'], [0.5, 1, 2, 5, 10, 30, 60, 180]);
  const interstitials = metrics.counter('xauth_interstitials_total', 'Interstitials seen, by whether they cleared', ['cleared']);
  slotsTotal.set(config.MAX_CONCURRENT_PROFILES);

  const bus = await Bus.connect({ url: config.AMQP_URL, namespace: config.XAUTH_NAMESPACE, service, logger, metrics, confirmTimeoutMs: config.AMQP_CONFIRM_TIMEOUT_MS, maxAttempts: config.MAX_ATTEMPTS });
  const busyProfiles = new Set<string>();
  const artifacts = new ArtifactStore({ root: config.ARTIFACTS_DIR, retentionMs: config.ARTIFACTS_RETENTION_MS, maxBytes: config.ARTIFACTS_MAX_BYTES, logger });
  const deps: AuthorizeJobDeps = {
    bus, logger, workerId: config.WORKER_ID, jobTimeoutMs: config.JOB_TIMEOUT_MS, busyProfiles, runningJobs: new Map(),
    provider: new GoLoginProvider(config.GOLOGIN_API_URL, config.GOLOGIN_API_TOKEN, config.GOLOGIN_TIMEOUT_MS),
    runFlow: (req) => runAuthorizeFlow(req, { stepMs: config.STEP_TIMEOUT_MS, interstitialMs: config.INTERSTITIAL_TIMEOUT_MS, closeMs: config.PAGE_CLOSE_TIMEOUT_MS, captureMs: config.ARTIFACT_CAPTURE_TIMEOUT_MS }, logger, {
      interstitial: (cleared) => interstitials.inc({ cleared: String(cleared) }),
    }, { trace: config.ARTIFACTS_TRACE, into: (secrets) => artifacts.forAttempt(req.jobId, req.attempt, secrets) }),
    onOutcome: (outcome, seconds) => jobSeconds.observe({ outcome }, seconds),
  };
  let sub: Subscription | undefined;
  const busyTimer = setInterval(() => slotsBusy.set(busyProfiles.size), 1_000);
  busyTimer.unref();

  const app = createHttpApp({ service, logger, metrics, readiness: { broker: () => bus.isConnected() } });
  app.use(artifactsRoutes({ store: artifacts, internalToken: config.INTERNAL_API_TOKEN, logger }));
  finishHttpApp(app, logger);
  let sweeper: { stop(): void } | undefined;
  let server: RunningServer | undefined;
  const runner = new ServiceRunner(service, logger, config.SHUTDOWN_TIMEOUT_MS);
  await runner.start([
    { name: 'bus', start: async () => undefined, stop: () => bus.close(config.SHUTDOWN_TIMEOUT_MS) },
    { name: 'artifact retention', start: async () => { sweeper = startArtifactSweeper(artifacts, config.ARTIFACTS_SWEEP_INTERVAL_MS, logger); }, stop: async () => sweeper?.stop() },
    { name: 'http', start: async () => { server = await listen(app, config.HTTP_HOST, config.HTTP_PORT); }, stop: async () => { await server?.close(); } },
    {
      name: 'consumer:browser-worker.authorization-jobs',
      start: async () => { sub = await bus.subscribe('browser-worker.authorization-jobs', { 'authorization.job.requested': jobRequested(deps) }, { prefetch: config.MAX_CONCURRENT_PROFILES }); },
      stop: async () => { clearInterval(busyTimer); await sub?.stop(config.SHUTDOWN_TIMEOUT_MS); },
    },
  ]);
  return { url: server!.url, stop: () => runner.stop() };
}
