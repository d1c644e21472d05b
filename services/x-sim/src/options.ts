import type { OverloadSpec } from './domain/gologin-overload.rule.js';
import type { SimApp } from './domain/sim-app.js';

/** Where x-sim writes what it does; the caller decides the format and destination. */
export interface SimLogger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
  debug(msg: string, meta?: object): void;
}

export type { SimApp };

export const DEFAULT_APP: SimApp = {
  name: 'xauth-dev',
  clientId: 'xsim-client-id',
  clientSecret: 'xsim-client-secret',
  redirectUris: ['http://127.0.0.1:8080/oauth/callback'],
};

export interface XSimOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 0 (ephemeral) */
  port?: number;
  /** @defaultValue '/usr/bin/chromium' */
  chromiumPath?: string;
  /**
   * Chromium launches x-sim runs at once; further starts wait their turn (slower, never failed),
   * so parallel starts on a small machine do not run into x-sim's own launch timeouts. @defaultValue 2
   */
  chromiumLaunchConcurrency?: number;
  /** The GoLogin overload scenario from the start (see `SimState.setOverload`). @defaultValue off */
  gologinOverload?: OverloadSpec;
  /** @defaultValue 50, seeding xsim_user_001 .. xsim_user_050 */
  userCount?: number;
  /** @defaultValue [DEFAULT_APP] */
  apps?: SimApp[];
  /** @defaultValue 'xsim-gologin-token' */
  gologinToken?: string;
  /** GoLogin API requests per window (`gologinRateLimitWindowMs`) before it answers 429 and invalidates the token. @defaultValue 300 */
  gologinRateLimitPerMinute?: number;
  /** The rate limit's window; shorter than GoLogin's minute only so a test need not wait a minute. @defaultValue 60000 */
  gologinRateLimitWindowMs?: number;
  /** Delay before a first visit's Cloudflare interstitial clears itself; 0 disables it. @defaultValue 300 */
  interstitialMs?: number;
  /** @defaultValue 7200 */
  tokenLifetimeSec?: number;
  /** @defaultValue 30 */
  codeLifetimeSec?: number;
  /** @defaultValue a silent logger */
  logger?: SimLogger;
}

export type ResolvedOptions = Required<Omit<XSimOptions, 'gologinOverload'>> & Pick<XSimOptions, 'gologinOverload'>;

const silentLogger: SimLogger = { info() {}, warn() {}, error() {}, debug() {} };

export function resolveOptions(opts: XSimOptions = {}): ResolvedOptions {
  return {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    chromiumPath: opts.chromiumPath ?? '/usr/bin/chromium',
    chromiumLaunchConcurrency: opts.chromiumLaunchConcurrency ?? 2,
    gologinOverload: opts.gologinOverload,
    userCount: opts.userCount ?? 50,
    apps: opts.apps ?? [DEFAULT_APP],
    gologinToken: opts.gologinToken ?? 'xsim-gologin-token',
    gologinRateLimitPerMinute: opts.gologinRateLimitPerMinute ?? 300,
    gologinRateLimitWindowMs: opts.gologinRateLimitWindowMs ?? 60_000,
    interstitialMs: opts.interstitialMs ?? 300,
    tokenLifetimeSec: opts.tokenLifetimeSec ?? 7200,
    codeLifetimeSec: opts.codeLifetimeSec ?? 30,
    logger: opts.logger ?? silentLogger,
  };
}
