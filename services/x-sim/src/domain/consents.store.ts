import { randomBytes } from 'node:crypto';
import type { AuthorizeRequest } from './authorize-request.rule.js';

/** A consent page that was shown and not yet answered. */
export interface PendingConsent {
  id: string;
  request: AuthorizeRequest;
  /** Identity the browser is signed in to, which the code will be for. */
  username: string;
  /** Owner of the profile that asked, whose scenario applies. */
  profileOwner: string;
  expiresAt: number;
}

const CONSENT_LIFETIME_MS = 10 * 60 * 1000;

/** Single-use consent ids, so a consent form can be answered once. */
export class Consents {
  private readonly pending = new Map<string, PendingConsent>();

  constructor(private readonly now: () => number = Date.now) {}

  create(request: AuthorizeRequest, username: string, profileOwner: string): string {
    const t = this.now();
    for (const [id, c] of this.pending) if (c.expiresAt <= t) this.pending.delete(id);
    const id = randomBytes(24).toString('base64url');
    this.pending.set(id, { id, request, username, profileOwner, expiresAt: t + CONSENT_LIFETIME_MS });
    return id;
  }

  take(id: string): PendingConsent | undefined {
    const consent = this.pending.get(id);
    this.pending.delete(id);
    return consent && consent.expiresAt > this.now() ? consent : undefined;
  }
}
