import { REDACTED } from '@xauth/shared';

/** Headers whose values are credentials, as a trace's network log records them. */
const SECRET_HEADERS = /^(cookie|set-cookie|authorization|proxy-authorization|x-csrf-token)$/i;
/** X's and Cloudflare's session cookies wherever they appear as name=value. */
export const COOKIE_PAIRS = /\b(auth_token|ct0|twid|kdt|_twitter_sess|cf_clearance|__cf_bm)=[^;&\s"']+/g;

/**
 * A trace's entries are JSON lines: every cookie value, and the value of every credential header,
 * is replaced, whatever its name. Lines that are not JSON pass as they are.
 */
export function redactTraceJson(text: string): string {
  if (!text.includes('"cookies"') && !/"name":\s*"(cookie|set-cookie|authorization)/i.test(text)) return text;
  return text
    .split('\n')
    .map((line) => {
      try {
        return JSON.stringify(scrub(JSON.parse(line)));
      } catch {
        return line;
      }
    })
    .join('\n');
}

function scrub(value: unknown, inCookies = false): unknown {
  if (Array.isArray(value)) return value.map((v) => scrub(v, inCookies));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const secretPair = inCookies || (typeof o.name === 'string' && SECRET_HEADERS.test(o.name));
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, secretPair && k === 'value' ? REDACTED : scrub(v, k === 'cookies')]));
}
