/** An open profile: a browser reachable over CDP whose default context carries the profile's X session. */
export interface OpenProfile {
  profileId: string;
  wsUrl: string;
  /** When the provider handed it over (epoch ms): its browser process started before this. */
  openedAt: number;
}

/** Where profiles' browsers come from (GoLogin, or local persistent profiles). */
export interface ProfileProvider {
  readonly kind: string;
  /**
   * Throws a transient PROFILE_BUSY when the provider says the profile already runs. A start that
   * fails leaves behind no run it may have begun (one whose answer was lost is stopped first).
   */
  start(profileId: string): Promise<OpenProfile>;
  /** Asks politely, within the provider's own bound. Must be safe to call for a profile that already stopped. */
  stop(profileId: string): Promise<void>;
  /**
   * Ends, with its whole process tree, whatever of the profile's browser still runs after a stop
   * that hung or lied, waiting up to `graceMs` for it to end by itself first. Returns how many
   * browsers it had to kill (0 when none was left, or when it cannot reach the process).
   */
  kill(open: OpenProfile, graceMs: number): Promise<number>;
  /**
   * Kills a run of the profile that this worker did not start (a dead worker's) and that would
   * not stop. Call it only while holding the profile's lock. Returns how many browsers it killed.
   */
  reapStale(profileId: string): Promise<number>;
  /** Profiles with a browser on this host that this worker did not start, when the provider can tell. */
  strays(): Promise<string[]>;
}

/** A profile held for one job: this worker alone, across replicas, until `release`. */
export interface ProfileLease {
  profileId: string;
  wsUrl: string;
  /** Whether the browser was reused from an earlier job. */
  reused: boolean;
  /**
   * Frees the slot at once; `reusable: false` (a failed run) always closes the browser, `crashed`
   * says the browser went away under the job, `after` is the job's own tidying up, told whether the
   * browser is kept for a next job; it ends before the browser is kept warm or closed. Resolves when
   * the browser is closed (or kept warm) and the profile's lock freed; the pool's shutdown waits for
   * it, and a new start waits for the room it holds. Never throws.
   */
  release(opts: { reusable: boolean; crashed?: boolean; after?: Tidy }): Promise<void>;
}

/** Hands out profiles to jobs: at most one job per profile, at most the worker's slots. */
export interface ProfilePool {
  /** Throws a transient PROFILE_BUSY when another job (here or in another replica) holds the profile. */
  acquire(profileId: string): Promise<ProfileLease>;
}

export interface CapturedConsent {
  code: string;
  state: string;
  /** Tidies up after the code is handed over (see `Tidy`); absent when the flow tidied up itself. */
  tidy?: Tidy;
}

/**
 * A successful flow's tidying up; never rejects. The trace is dropped; a browser kept warm also gets
 * its page closed for the next job, while one about to be stopped only loses our connection
 * (stopping it ends the page), so its close, and a next start waiting for its room, come sooner.
 */
export type Tidy = (browserKept: boolean) => Promise<void>;

/** What a failed flow kept (screenshots, HTML, trace), told by the error it threw: the flow's adapter records it. */
export interface FailureArtifactIndex {
  /** The names kept for this failure, for `authorization.attempt.failed.artifacts`; undefined when none. */
  keptFor(err: unknown): string[] | undefined;
}

export interface AuthorizeRequest {
  /** Name the attempt's failure artifacts (`<jobId>/<attempt>/...`). */
  jobId: string;
  attempt: number;
  wsUrl: string;
  authorizeUrl: string;
  redirectUri: string;
  /** Absolute end of this attempt. */
  deadline: number;
}

/** The circuit breakers (X's pages, GoLogin) a job passes before it takes a profile; shared by the replicas. */
export interface DependencyGate {
  /** Throws a transient, deferred `CIRCUIT_OPEN` while a dependency's breaker is open: no browser, no attempt spent. */
  enter(): Promise<GatePass>;
}

export interface GatePass {
  /** How the flow ended (`undefined`: consent captured), for X's pages' breaker. */
  flowEnded(err?: unknown): Promise<void>;
  /** Frees a half-open probe this job claimed but never used (it stopped before calling the dependency). */
  leave(): Promise<void>;
  /**
   * A failure that counts against a dependency whose breaker is open now (it tripped it, or it was the
   * failed probe): the deferred `CIRCUIT_OPEN` to wait with instead, as the job is not at fault.
   */
  deferral(err: unknown): Promise<Error | undefined>;
}
