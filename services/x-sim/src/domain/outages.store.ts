/** What can go down: GoLogin's API, X's web pages (authorize, consent, Cloudflare), X's API (token, revoke, users/me). */
export const OUTAGE_TARGETS = ['gologin', 'x-web', 'x-api'] as const;
export type OutageTarget = (typeof OUTAGE_TARGETS)[number];

/** '503' answers Service Unavailable; 'drop' closes the connection without an answer. */
export const OUTAGE_MODES = ['503', 'drop'] as const;
export type OutageMode = (typeof OUTAGE_MODES)[number];

export interface OutageSpec {
  target: OutageTarget;
  durationMs: number;
  /** @defaultValue '503' */
  mode?: OutageMode;
}

/** Targets that are down until a moment in time; they come back by themselves when it passes. */
export class Outages {
  private readonly until = new Map<OutageTarget, { endsAt: number; mode: OutageMode }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new outage of a target that is already down replaces the old one. */
  start(spec: OutageSpec): void {
    this.until.set(spec.target, { endsAt: this.now() + spec.durationMs, mode: spec.mode ?? '503' });
  }

  /** The mode of the target's outage while it lasts, else undefined. */
  modeOf(target: OutageTarget): OutageMode | undefined {
    const outage = this.until.get(target);
    if (!outage) return undefined;
    if (this.now() < outage.endsAt) return outage.mode;
    this.until.delete(target);
    return undefined;
  }

  reset(): void {
    this.until.clear();
  }
}
