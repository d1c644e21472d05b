import { ErrorCodes } from '@xauth/contracts';
import { AppError, TransientError, callHttp } from '@xauth/shared';
import type { OpenProfile, ProfileProvider } from '../domain/ports.js';

/** Profiles from the GoLogin API: start returns the browser's CDP `wsUrl`; stop always. */
export class GoLoginProvider implements ProfileProvider {
  readonly kind = 'gologin';
  constructor(private readonly baseUrl: string, private readonly token: string, private readonly timeoutMs: number) {}

  private call(path: string) {
    return callHttp(new URL(path, this.baseUrl).toString(), {
      method: 'POST', headers: { authorization: `Bearer ${this.token}` }, timeoutMs: this.timeoutMs,
      dependency: 'GoLogin', unavailableCode: ErrorCodes.GOLOGIN_UNAVAILABLE, rateLimitedCode: ErrorCodes.GOLOGIN_UNAVAILABLE,
    });
  }

  async start(profileId: string): Promise<OpenProfile> {
    const res = await this.call(`/browser/${encodeURIComponent(profileId)}/start`);
    if (res.status === 409) throw new TransientError({ code: ErrorCodes.PROFILE_BUSY, message: `profile ${profileId} is already running elsewhere` });
    const wsUrl = (res.body as { wsUrl?: unknown })?.wsUrl;
    if (res.status !== 200 || typeof wsUrl !== 'string') {
      throw new AppError({ code: ErrorCodes.GOLOGIN_UNAVAILABLE, message: `GoLogin could not start profile ${profileId} (${res.status})`, retryable: res.status !== 401 && res.status !== 404 });
    }
    return { profileId, wsUrl };
  }

  async stop(profileId: string): Promise<void> {
    await this.call(`/browser/${encodeURIComponent(profileId)}/stop`);
  }
}
