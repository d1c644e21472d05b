import { z } from 'zod';
import { DEV_ENCRYPTION_KEYS } from './crypto.js';

/**
 * The internal APIs' credentials: one secret per caller and callee (per-pair bearer secrets, not
 * signed tokens). A service holds only the secrets of the pairs it is part of, and each route
 * accepts only the callers that need it, so a service that leaks its secrets (the browser-worker
 * runs Chromium against the open web) opens nothing beyond its own pairs. Both ends of a pair read
 * the same variable name, so one secret store entry serves both.
 */
export const INTERNAL_TOKENS = {
  /** The gateway reads tokens and jobs and proxies operator routes at the orchestrator. */
  INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR: 'dev-internal-gateway-orchestrator',
  /** The gateway proxies `/v1/dead-letters` to the dead-letter office. */
  INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS: 'dev-internal-gateway-dead-letters',
  /** The gateway downloads failure artifacts and reads breakers at the browser-worker. */
  INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER: 'dev-internal-gateway-browser-worker',
  /** The dead-letter office reopens a replayed job at the orchestrator (that route only). */
  INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR: 'dev-internal-dead-letters-orchestrator',
} as const;
export type InternalTokenName = keyof typeof INTERNAL_TOKENS;

const DOCS: Record<InternalTokenName, string> = {
  INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR: "secret the gateway presents at the orchestrator's internal API (token and job reads, operator routes); held by both",
  INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS: "secret the gateway presents at the dead-letter office's internal API; held by both",
  INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER: "secret the gateway presents at the browser-worker's artifact and breaker routes; held by both",
  INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR:
    "secret the dead-letter office presents at the orchestrator's job reopen route (its only route there); held by both",
};

/**
 * A pair's variable may list `new,previous` while it is rotated: the callee accepts each, the caller
 * presents the first. So a rotation is: callee gets `new,old`, caller gets `new`, callee gets `new`.
 */
export function internalTokenValues(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The secret a caller presents: the first of the pair's variable. */
export function presentedInternalToken(value: string): string {
  return internalTokenValues(value)[0] ?? '';
}

/** Config keys for the named pairs, each with its development default; spread into a service's schema. */
export function internalTokenConfig<K extends InternalTokenName>(...names: K[]): { [P in K]: z.ZodDefault<z.ZodString> } {
  return Object.fromEntries(names.map((n) => [n, z.string().min(16).default(INTERNAL_TOKENS[n]).describe(DOCS[n])])) as { [P in K]: z.ZodDefault<z.ZodString> };
}

/** True when any entry of a keyring spec carries the development key, whatever its key id or position. */
export function hasDevelopmentKey(spec: string): boolean {
  const devKey = DEV_ENCRYPTION_KEYS.slice(DEV_ENCRYPTION_KEYS.indexOf(':') + 1);
  return spec
    .split(',')
    .map((s) => s.trim())
    .some((part) => {
      const key = part.slice(part.indexOf(':') + 1);
      return key === devKey || Buffer.from(key, 'base64').equals(Buffer.from(devKey, 'base64'));
    });
}

/**
 * What a production start refuses: development internal secrets, one secret reused for two pairs,
 * a development key anywhere in ENCRYPTION_KEYS. Empty outside production.
 */
export function developmentSecretsInUse(config: { NODE_ENV: string; ENCRYPTION_KEYS?: string } & Partial<Record<InternalTokenName, string>>): string[] {
  if (config.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const name of Object.keys(INTERNAL_TOKENS) as InternalTokenName[]) {
    if (config[name] === undefined) continue;
    for (const value of internalTokenValues(config[name])) {
      if (Object.values(INTERNAL_TOKENS).includes(value as never))
        problems.push(`${name}: is a development secret; set a long random one (NODE_ENV=production refuses development defaults)`);
      else if (seen.has(value) && seen.get(value) !== name) problems.push(`${name}: is the same secret as ${seen.get(value)}; each pair needs its own`);
      else seen.set(value, name);
    }
  }
  if (config.ENCRYPTION_KEYS !== undefined && hasDevelopmentKey(config.ENCRYPTION_KEYS)) {
    problems.push(
      'ENCRYPTION_KEYS: holds the development key; remove it and set kid:base64(32 random bytes) (NODE_ENV=production refuses development defaults)',
    );
  }
  return problems;
}
