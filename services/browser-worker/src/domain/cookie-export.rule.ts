import { z } from 'zod';
import { ValidationError } from '@xauth/shared';

/** A browser cookie as Playwright's `addCookies` takes it. */
export interface BrowserCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  /** Epoch seconds; -1 for a session cookie. */
  expires: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict' | 'Lax' | 'None';
}

/** One cookie of an export: Playwright's `storageState`/`cookies()` shape or EditThisCookie's. */
const exportedCookie = z.object({
  name: z.string().min(1),
  value: z.string(),
  domain: z.string().min(1),
  path: z.string().default('/'),
  expires: z.number().optional(),
  expirationDate: z.number().optional(),
  session: z.boolean().optional(),
  hostOnly: z.boolean().optional(),
  httpOnly: z.boolean().default(false),
  secure: z.boolean().default(false),
  sameSite: z.string().optional(),
});

const SAME_SITE: Record<string, BrowserCookie['sameSite']> = {
  strict: 'Strict',
  lax: 'Lax',
  none: 'None',
  no_restriction: 'None',
  unspecified: 'Lax',
};

/**
 * Reads a cookie export: an array of cookies, or Playwright's `{cookies: [...]}` storage state.
 * Errors name the cookie by index and field, never by value.
 */
export function parseCookieExport(json: unknown): BrowserCookie[] {
  const list = Array.isArray(json) ? json : (json as { cookies?: unknown } | null)?.cookies;
  const parsed = z.array(exportedCookie).min(1).safeParse(list);
  if (!parsed.success) {
    throw new ValidationError({
      message: `not a cookie export (an array of {name, value, domain, ...}): ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    });
  }
  return parsed.data.map((c) => {
    const expiry = c.session ? undefined : (c.expirationDate ?? c.expires);
    // EditThisCookie marks a domain cookie with a leading dot or hostOnly: false.
    const domain = c.hostOnly === false && !c.domain.startsWith('.') ? `.${c.domain}` : c.domain;
    const sameSite = SAME_SITE[(c.sameSite ?? 'lax').toLowerCase()] ?? 'Lax';
    return {
      name: c.name,
      value: c.value,
      domain,
      path: c.path,
      expires: expiry === undefined || expiry < 0 ? -1 : Math.floor(expiry),
      httpOnly: c.httpOnly,
      // Chromium refuses SameSite=None without Secure.
      secure: c.secure || sameSite === 'None',
      sameSite,
    };
  });
}
