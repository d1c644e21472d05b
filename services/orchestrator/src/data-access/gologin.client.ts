import { ErrorCodes } from '@xauth/contracts';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, callHttp, errorMessage, type CallBudget } from '@xauth/shared';
import type { ProfileLink } from '../domain/model.js';
import type { ProfileDirectoryPort, ProfileListing } from '../domain/ports.js';

const PAGE_LIMIT = 2_000;

type Page = { profiles?: unknown; allProfilesCount?: unknown };

/**
 * Lists GoLogin profiles page by page; a profile's `name` is the X username it is signed in to (the
 * convention operators follow when they create profiles). The listing is complete only when every
 * page answered with a `profiles` array and the profiles seen add up to `allProfilesCount`: a
 * failed page, a page without `profiles` or a count that does not match leaves it incomplete, and
 * an incomplete listing deletes nothing.
 */
export class GoLoginDirectory implements ProfileDirectoryPort {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
    /** Asked before every page (by every replica, when shared): GoLogin invalidates the API token past its per-minute limit. */
    private readonly budget?: CallBudget,
  ) {}

  async listProfiles(): Promise<ProfileListing> {
    const links: ProfileLink[] = [];
    let seen = 0;
    let total: number | undefined;
    const incomplete = (problem: string): ProfileListing => ({ links, complete: false, problem });
    for (let page = 1; page <= PAGE_LIMIT; page++) {
      let body: Page;
      try {
        body = await this.page(page);
      } catch (err) {
        if (page === 1) throw err;
        return incomplete(`page ${page} failed: ${errorMessage(err)}`);
      }
      if (!Array.isArray(body.profiles)) return incomplete(`page ${page} came without a profiles list`);
      if (typeof body.allProfilesCount === 'number') total = body.allProfilesCount;
      const profiles = body.profiles as Array<{ id?: unknown; name?: unknown }>;
      seen += profiles.length;
      for (const p of profiles) {
        if (typeof p.id === 'string' && typeof p.name === 'string' && /^[A-Za-z0-9_]{1,15}$/.test(p.name)) links.push({ profileId: p.id, accountId: p.name });
      }
      if (profiles.length === 0 || (total !== undefined && seen >= total)) break;
    }
    if (total === undefined) return incomplete('GoLogin gave no allProfilesCount to check the listing against');
    if (seen !== total) return incomplete(`the pages listed ${seen} profiles but GoLogin counts ${total}`);
    return { links, complete: true };
  }

  private async page(page: number): Promise<Page> {
    await this.turn();
    const res = await callHttp(new URL(`/browser/v2?page=${page}`, this.baseUrl).toString(), {
      headers: { authorization: `Bearer ${this.token}` },
      timeoutMs: this.timeoutMs,
      dependency: 'GoLogin',
      unavailableCode: ErrorCodes.GOLOGIN_UNAVAILABLE,
      rateLimitedCode: ErrorCodes.GOLOGIN_UNAVAILABLE,
    });
    if (res.status !== 200)
      throw new AppError({ code: ErrorCodes.GOLOGIN_UNAVAILABLE, message: `GoLogin profile list answered ${res.status}`, retryable: res.status !== 401 });
    return (res.body ?? {}) as Page;
  }

  /** Waits for a page's turn in the budget: a listing is background work, so it waits rather than fails. */
  private async turn(): Promise<void> {
    if (!this.budget) return;
    for (;;) {
      const turn = await this.budget.turn(TURN_WAIT_MS);
      if (turn.granted) return void (await sleep(turn.waitMs));
      await sleep(turn.retryAfterMs);
    }
  }
}

/** The longest wait booked at once: a turn further off is asked for again later. */
const TURN_WAIT_MS = 60_000;
