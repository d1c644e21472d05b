import { ErrorCodes, type AuthorizationJobRequested } from '@xauth/contracts';
import { AppError, TransientError, decideFailure, errorMessage, inSpan, type Bus, type Envelope, type Logger } from '@xauth/shared';
import type { AuthorizeRequest, CapturedConsent, DependencyGate, FailureArtifactIndex, GatePass, ProfilePool, Tidy } from './ports.js';

export interface AuthorizeJobDeps {
  bus: Bus;
  /** Hands out profiles: one job per profile across replicas, within this worker's slots. */
  pool: ProfilePool;
  logger: Logger;
  workerId: string;
  jobTimeoutMs: number;
  runFlow(req: AuthorizeRequest): Promise<CapturedConsent>;
  /** What `runFlow`'s failures kept, named in the attempt's report. */
  failureArtifacts: FailureArtifactIndex;
  /** Jobs this worker is running, by jobId: a redelivery of one of them waits for it. */
  runningJobs: Map<string, Promise<void>>;
  onOutcome?(outcome: string, seconds: number): void;
  /** Circuit breakers passed before the profile is taken: while one is open, no browser starts and the job is deferred. */
  gate?: DependencyGate;
}

const OPEN_GATE: GatePass = { flowEnded: async () => undefined, leave: async () => undefined, deferral: async () => undefined };

/**
 * One browser attempt at a job: acquire the profile from the pool, run the consent flow, report
 * the captured code, and always release the profile. Failures are reported as `authorization.attempt.failed`; transient
 * ones are then thrown so the consumer wrapper retries (or, on the last attempt, dead-letters).
 */
export async function authorizeJob(deps: AuthorizeJobDeps, job: AuthorizationJobRequested, envelope: Envelope): Promise<void> {
  const running = deps.runningJobs.get(job.jobId);
  if (running) {
    // The broker gave the job back (our channel dropped) while we still run it: that run reports
    // the outcome; this delivery ends with it instead of failing as PROFILE_BUSY.
    deps.logger.info('job redelivered while this worker still runs it; waiting for that run', { jobId: job.jobId });
    await running.catch(() => undefined);
    return;
  }
  const run = attempt(deps, job, envelope);
  deps.runningJobs.set(job.jobId, run);
  try {
    await run;
  } finally {
    if (deps.runningJobs.get(job.jobId) === run) deps.runningJobs.delete(job.jobId);
  }
}

async function attempt(deps: AuthorizeJobDeps, job: AuthorizationJobRequested, envelope: Envelope): Promise<void> {
  const started = Date.now();
  const maxAttempts = deps.bus.maxAttemptsFor('browser-worker.authorization-jobs');
  if (Date.parse(job.deadline) <= started) {
    // The job waited past its deadline (a backlog, a provider out for longer than the deadline): nothing
    // about it is wrong, so it is answered and dead-lettered, and an operator's replay reopens it.
    const message = `job deadline ${job.deadline} passed before a browser could run it`;
    await report(deps, job, new TransientError({ code: ErrorCodes.JOB_EXPIRED, message }), true, envelope);
    throw new AppError({ code: ErrorCodes.JOB_EXPIRED, message, retryable: false, outcomeReported: true });
  }
  let pass = OPEN_GATE;
  try {
    if (deps.gate) pass = await inSpan('breakers admit', {}, () => deps.gate!.enter());
    const profile = await deps.pool.acquire(job.profileId);
    let outcome: { reusable: boolean; crashed?: boolean } = { reusable: false };
    let tidy: Tidy | undefined;
    let startedSent: Promise<void> = Promise.resolve();
    try {
      // The start is announced while the browser is reached (its confirm is a broker round trip the
      // flow need not wait for), and settled before anything else about the job is said, so `started`
      // comes first. It only marks the job running: one the broker refused is logged, and a captured
      // code (which X keeps for 30 s) still goes out.
      startedSent = deps.bus
        .publish(
          'authorization.job.started',
          { jobId: job.jobId, profileId: job.profileId, workerId: deps.workerId, startedAt: new Date().toISOString() },
          { correlationId: envelope.correlationId, causationId: envelope.messageId },
        )
        .then(
          () => undefined,
          (err: unknown) => void deps.logger.warn('authorization.job.started was not published', { jobId: job.jobId, error: errorMessage(err) }),
        );
      const consent = await deps.runFlow({
        jobId: job.jobId,
        attempt: envelope.attempt,
        wsUrl: profile.wsUrl,
        authorizeUrl: job.authorizeUrl,
        redirectUri: job.redirectUri,
        deadline: Math.min(Date.parse(job.deadline), started + deps.jobTimeoutMs),
      });
      tidy = consent.tidy;
      await startedSent;
      await deps.bus.publish(
        'authorization.consent.captured',
        { jobId: job.jobId, code: consent.code, state: consent.state },
        { correlationId: envelope.correlationId, causationId: envelope.messageId },
      );
      outcome = { reusable: true };
      await pass.flowEnded();
      deps.onOutcome?.('captured', (Date.now() - started) / 1000);
      deps.logger.info('consent captured', { jobId: job.jobId, profileId: job.profileId, ms: Date.now() - started, reused: profile.reused });
    } catch (err) {
      outcome = { reusable: false, crashed: err instanceof AppError && err.code === ErrorCodes.BROWSER_CRASHED };
      await startedSent; // its report comes after it
      await pass.flowEnded(err);
      throw err;
    } finally {
      // After a captured consent the job is done: it is acked while its page is tidied and its browser
      // closes, so the next job's delivery, breaker check, lock and (below MAX_CONCURRENT_PROFILES,
      // which counts a closing profile as GoLogin does) start overlap the close. A failed run waits,
      // so its retry never finds its own profile still busy.
      const released = profile.release({ ...outcome, after: tidy });
      if (!outcome.reusable) await released;
    }
  } catch (failed) {
    // Failed against a dependency its breaker now holds open (this job tripped it or probed it): the
    // outage is the dependency's, so the job waits for the breaker like the jobs it keeps out.
    const err = (await pass.deferral(failed)) ?? failed;
    // The consumer wrapper's own policy says what happens next: the worker reports accordingly.
    const decision = decideFailure(err, envelope.attempt, maxAttempts, deps.bus.retryTiersMs, envelope.deferrals);
    if (decision.action === 'retry' && decision.deferred) {
      // Nothing was tried (the profile is held elsewhere, a dependency's breaker is open): no attempt to report, the wrapper defers it.
      deps.logger.info('job deferred', {
        jobId: job.jobId,
        profileId: job.profileId,
        errorCode: decision.code,
        deferrals: envelope.deferrals,
        delayMs: Math.round(decision.delayMs),
      });
      throw err;
    }
    const final = decision.action === 'dead-letter';
    await report(deps, job, err, final, envelope);
    deps.onOutcome?.(err instanceof AppError ? err.code : ErrorCodes.INTERNAL, (Date.now() - started) / 1000);
    // Needs a person: answered, nothing to retry or dead-letter. Transient: the wrapper decides.
    if (err instanceof AppError && !err.retryable) return;
    throw final ? reportedFinal(err) : err;
  } finally {
    await pass.leave();
  }
}

async function report(deps: AuthorizeJobDeps, job: AuthorizationJobRequested, err: unknown, final: boolean, envelope: Envelope): Promise<void> {
  const code = err instanceof AppError ? err.code : ErrorCodes.INTERNAL;
  const message = errorMessage(err).slice(0, 2000);
  deps.logger.warn('authorization attempt failed', { jobId: job.jobId, errorCode: code, error: message, attempt: envelope.attempt, final });
  const artifacts = deps.failureArtifacts.keptFor(err);
  const deadLettered = final && (!(err instanceof AppError) || err.retryable);
  await deps.bus.publish(
    'authorization.attempt.failed',
    { jobId: job.jobId, errorCode: code, message, retryable: !final, ...(deadLettered ? { deadLettered } : {}), ...(artifacts ? { artifacts } : {}) },
    { correlationId: envelope.correlationId, causationId: envelope.messageId },
  );
}

/**
 * The error of a last attempt the worker has reported (`deadLettered`): the orchestrator has ended
 * the job, so the wrapper marks the dead letter `x-outcome-reported` and the office will not replay a
 * job nobody waits for (it would open a browser and run a consent for nothing).
 */
function reportedFinal(err: unknown): AppError {
  return new AppError({
    code: err instanceof AppError ? err.code : ErrorCodes.INTERNAL,
    message: errorMessage(err),
    retryable: true,
    outcomeReported: true,
    cause: err,
  });
}
