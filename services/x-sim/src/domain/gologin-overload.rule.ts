export const OVERLOAD_MODES = ['reject', 'delay'] as const;
export type OverloadMode = (typeof OVERLOAD_MODES)[number];

/** GoLogin under more starts than it can take: past `maxConcurrentStarts` in flight, starts fail or slow down. */
export interface OverloadSpec {
  maxConcurrentStarts: number;
  /** 'reject' answers 503 as an overloaded GoLogin does; 'delay' starts the profile `delayMs` later. */
  mode: OverloadMode;
  /** Used by 'delay'. @defaultValue 5000 */
  delayMs?: number;
}

export type OverloadVerdict = { kind: 'admit' } | { kind: 'reject' } | { kind: 'delay'; delayMs: number };

const DEFAULT_OVERLOAD_DELAY_MS = 5000;

/** What happens to one more start while `startsInFlight` starts have not finished yet. */
export function overloadVerdict(spec: OverloadSpec | undefined, startsInFlight: number): OverloadVerdict {
  if (!spec || startsInFlight < spec.maxConcurrentStarts) return { kind: 'admit' };
  return spec.mode === 'reject' ? { kind: 'reject' } : { kind: 'delay', delayMs: spec.delayMs ?? DEFAULT_OVERLOAD_DELAY_MS };
}
