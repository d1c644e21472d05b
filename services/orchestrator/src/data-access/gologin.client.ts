import { ErrorCodes } from '@xauth/contracts';
import { AppError, callHttp } from '@xauth/shared';
import type { ProfileLink } from '../domain/model.js';
import type { ProfileDirectoryPort } from '../domain/ports.js';

const PAGE_LIMIT = 2_000;

/**
 * Lists GoLogin profiles; a profile's `name` is the X username it is signed in to (the
 * convention operators follow when they create profiles).
 */
export class GoLoginDirectory implements ProfileDirectoryPort {
  constructor(private readonly baseUrl: string, private readonly token: string, private readonly timeoutMs = 10_000) {}

  async listProfiles(): Promise<ProfileLink[]> {
    const out: ProfileLink[] = [];
    for (let page = 1; page <= PAGE_LIMIT; page++) {
      const res = await callHttp(new URL(`/browser/v2?page=${page}`, this.baseUrl).toString(), {
        headers: { authorization: `Bearer ${this.token}` }, timeoutMs: this.timeoutMs,
        dependency: 'GoLogin', unavailableCode: ErrorCodes.GOLOGIN_UNAVAILABLE, rateLimitedCode: ErrorCodes.GOLOGIN_UNAVAILABLE,
      });
      if (res.status !== 200) throw new AppError({ code: ErrorCodes.GOLOGIN_UNAVAILABLE, message: `GoLogin profile list answered ${res.status}`, retryable: res.status !== 401 });
      const body = res.body as { profiles?: Array<{ id?: unknown; name?: unknown }>; allProfilesCount?: number };
      const profiles = body.profiles ?? [];
      for (const p of profiles) {
        if (typeof p.id === 'string' && typeof p.name === 'string' && /^[A-Za-z0-9_]{1,15}$/.test(p.name)) out.push({ profileId: p.id, accountId: p.name });
      }
      if (profiles.length === 0 || (body.allProfilesCount !== undefined && out.length >= body.allProfilesCount)) break;
    }
    return out;
  }
}
