export const SCENARIO_NAMES = [
  'normal',
  'slow',
  'interstitial',
  'captcha',
  'blocked',
  'logged_out',
  'locked',
  'denies',
  'wrong_identity',
  'flaky_token',
  'browser_crash',
  'hang_on_close',
  'slow_start',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioOptions {
  /**
   * Delay used by `slow`, `interstitial`, `hang_on_close` (how long stop takes to answer; the
   * browser is left running) and `slow_start` (how long a start stays pending). @defaultValue 2000
   */
  latencyMs?: number;
}

export interface ScenarioSetting {
  scenario: ScenarioName;
  latencyMs: number;
}

const DEFAULT_LATENCY_MS = 2000;
const NORMAL: ScenarioSetting = { scenario: 'normal', latencyMs: DEFAULT_LATENCY_MS };

/** Scenario per simulated user (the owner of the profile, not the identity it is signed in to). */
export class Scenarios {
  private readonly settings = new Map<string, ScenarioSetting>();
  private readonly flakyTokenPending = new Set<string>();

  set(username: string, scenario: ScenarioName, opts: ScenarioOptions = {}): void {
    this.settings.set(username, { scenario, latencyMs: opts.latencyMs ?? DEFAULT_LATENCY_MS });
    if (scenario === 'flaky_token') this.flakyTokenPending.add(username);
    else this.flakyTokenPending.delete(username);
  }

  of(username: string | undefined): ScenarioSetting {
    return (username !== undefined && this.settings.get(username)) || NORMAL;
  }

  is(username: string | undefined, scenario: ScenarioName): boolean {
    return this.of(username).scenario === scenario;
  }

  /** True once per `flaky_token` setting: that user's first token exchange must fail. */
  takeFlakyToken(username: string): boolean {
    return this.flakyTokenPending.delete(username);
  }

  reset(): void {
    this.settings.clear();
    this.flakyTokenPending.clear();
  }
}
