import { ProfileBrowsers, type RunningBrowser } from './browser/profile-browsers.registry.js';
import { Consents } from './domain/consents.store.js';
import { Faults, type FaultSpec } from './domain/faults.store.js';
import type { OverloadSpec } from './domain/gologin-overload.rule.js';
import { OAuthTokens } from './domain/oauth-tokens.store.js';
import { Outages, type OutageSpec } from './domain/outages.store.js';
import { Scenarios, type ScenarioName, type ScenarioOptions } from './domain/scenarios.store.js';
import { SimStatsStore, type SimStats } from './domain/sim-stats.store.js';
import { SimUsers, type SimProfile, type SimUser } from './domain/sim-users.store.js';
import { SlidingWindowRateLimiter } from './domain/sliding-window.rate-limiter.js';
import type { ResolvedOptions } from './options.js';

export const LISTING_GLITCHES = ['fail', 'no_profiles'] as const;
export type ListingGlitch = (typeof LISTING_GLITCHES)[number];

/** Everything the simulator knows, and the operations tests and operators use to steer it. */
export class SimState {
  readonly users: SimUsers;
  readonly scenarios = new Scenarios();
  readonly faults = new Faults();
  readonly tokens = new OAuthTokens();
  readonly consents = new Consents();
  readonly outages = new Outages();
  readonly statsStore = new SimStatsStore();
  readonly gologinLimiter: SlidingWindowRateLimiter;
  readonly browsers: ProfileBrowsers;
  /** cf_clearance values Cloudflare handed out; browsers keep them, so a reset does not forget them. */
  readonly cfClearances = new Set<string>();
  /** Secret parameters X received (states, verifiers, challenges, client secrets, bearer credentials). */
  readonly receivedSecrets = new Set<string>();
  /** Set once the rate limit was hit: GoLogin then refuses its API token until reset. */
  gologinTokenRevoked = false;
  /** The GoLogin overload scenario in force; off when undefined. */
  overload: OverloadSpec | undefined;
  /** Pages of the GoLogin profile listing that answer wrong, each once (see `takeListingGlitch`). */
  private listingGlitches: Array<{ page: number; kind: ListingGlitch }> = [];
  private defaultLifetimeSec: number;
  private readonly lifetimeByUser = new Map<string, number>();

  constructor(
    readonly options: ResolvedOptions,
    /** Host X's cookies are set for; known only once the server listens. */
    readonly cookieDomain: () => string,
  ) {
    this.users = new SimUsers(options.userCount);
    this.defaultLifetimeSec = options.tokenLifetimeSec;
    this.overload = options.gologinOverload;
    this.gologinLimiter = new SlidingWindowRateLimiter(options.gologinRateLimitPerMinute, options.gologinRateLimitWindowMs);
    this.browsers = new ProfileBrowsers({
      chromiumPath: options.chromiumPath,
      stats: this.statsStore,
      logger: options.logger,
      cookieDomain,
      launchConcurrency: options.chromiumLaunchConcurrency,
    });
  }

  /**
   * Every secret this X handled: codes, access and refresh tokens it issued, states, verifiers and
   * client credentials it received, session cookies and Cloudflare clearances. A test of xauth's
   * outputs looks for each of these in its logs, events and answers.
   */
  handledSecrets(): string[] {
    return [...new Set([...this.tokens.issued, ...this.receivedSecrets, ...this.users.sessionTokens(), ...this.cfClearances])];
  }

  setScenario(username: string, scenario: ScenarioName, opts: ScenarioOptions = {}): void {
    if (!this.users.user(username)) throw new Error(`unknown user ${username}`);
    this.scenarios.set(username, scenario, opts);
    this.options.logger.info('scenario set', { username, scenario, ...opts });
  }

  addFault(fault: FaultSpec): void {
    this.faults.add(fault);
    this.options.logger.info('fault added', { ...fault });
  }

  /**
   * GoLogin overloaded: past `maxConcurrentStarts` starts in flight, further starts answer 503
   * ('reject') or start `delayMs` later ('delay'). `undefined` turns it off.
   */
  setOverload(spec: OverloadSpec | undefined): void {
    this.overload = spec;
    this.options.logger.info(spec ? 'gologin overload set' : 'gologin overload off', { ...spec });
  }

  /** The target is down for `durationMs` (every request 503, or dropped), then back by itself. */
  startOutage(spec: OutageSpec): void {
    this.outages.start(spec);
    this.options.logger.info('outage started', { ...spec });
  }

  /** Ends every outage now. */
  endOutages(): void {
    this.outages.reset();
    this.options.logger.info('outages ended');
  }

  /** Access tokens issued from now on live `seconds`; live ones are cut down as if issued so. */
  setTokenLifetime(seconds: number, username?: string): void {
    if (username === undefined) this.defaultLifetimeSec = seconds;
    else this.lifetimeByUser.set(username, seconds);
    this.tokens.shortenLifetimes(seconds, username);
  }

  /** The next listing of `page` fails (502) or comes without `profiles`; once. */
  addListingGlitch(page: number, kind: ListingGlitch): void {
    this.listingGlitches.push({ page, kind });
    this.options.logger.info('gologin listing glitch set', { page, kind });
  }

  takeListingGlitch(page: number): ListingGlitch | undefined {
    const i = this.listingGlitches.findIndex((g) => g.page === page);
    return i < 0 ? undefined : this.listingGlitches.splice(i, 1)[0]!.kind;
  }

  tokenLifetimeFor(username: string): number {
    return this.lifetimeByUser.get(username) ?? this.defaultLifetimeSec;
  }

  /**
   * Clears what tests steer (scenarios, faults, outages, overload back to its option, lifetimes,
   * GoLogin token, stats), keeps sessions and browsers.
   */
  reset(): void {
    this.scenarios.reset();
    this.faults.reset();
    this.outages.reset();
    this.overload = this.options.gologinOverload;
    this.statsStore.reset();
    this.tokens.doubleSpends = 0;
    this.gologinLimiter.reset();
    this.gologinTokenRevoked = false;
    this.defaultLifetimeSec = this.options.tokenLifetimeSec;
    this.lifetimeByUser.clear();
    this.listingGlitches = [];
  }

  stats(): SimStats {
    return { ...this.statsStore.snapshot(), refreshDoubleSpends: this.tokens.doubleSpends };
  }

  userList(): SimUser[] {
    return [...this.users.users];
  }

  profileOf(username: string): SimProfile | undefined {
    return this.users.profileOf(username);
  }

  runningBrowsers(): RunningBrowser[] {
    return this.browsers.running();
  }
}
