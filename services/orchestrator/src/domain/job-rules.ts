import type { JobStatus } from '@xauth/contracts';

export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'dispatched', 'running', 'consent_captured'];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'dead_lettered', 'expired'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A captured consent is accepted while the job waits for it (or is being exchanged after a retry). */
export function acceptsConsent(status: JobStatus): boolean {
  return status === 'dispatched' || status === 'running' || status === 'consent_captured';
}

/** A stored token counts as valid when it outlives the margin. */
export function tokenIsValid(expiresAt: Date, now: Date, marginMs: number): boolean {
  return expiresAt.getTime() - now.getTime() > marginMs;
}
