import type { ScenarioSetting } from './scenarios.store.js';

export type CloudflareVerdict = { kind: 'pass' } | { kind: 'blocked' } | { kind: 'captcha' } | { kind: 'challenge'; clearAfterMs: number };

/**
 * What Cloudflare does in front of the authorize page for this profile. Blocked and captcha
 * profiles never get through, whatever cookie they hold; others pass once they hold a clearance.
 */
export function cloudflareVerdict(setting: ScenarioSetting, interstitialMs: number, hasClearance: boolean): CloudflareVerdict {
  if (setting.scenario === 'blocked') return { kind: 'blocked' };
  if (setting.scenario === 'captcha') return { kind: 'captcha' };
  if (hasClearance) return { kind: 'pass' };
  if (setting.scenario === 'interstitial') return { kind: 'challenge', clearAfterMs: setting.latencyMs };
  return interstitialMs > 0 ? { kind: 'challenge', clearAfterMs: interstitialMs } : { kind: 'pass' };
}
