import { TransientError, errorMessage } from '../errors.js';

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  timeoutMs: number;
  /** Names the dependency in errors, e.g. "X" or "GoLogin". */
  dependency: string;
  /** Error code for timeouts, dropped connections, 5xx and 429. */
  unavailableCode: string;
  rateLimitedCode: string;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * One outbound HTTP call with a timeout. Timeouts, dropped connections, 5xx and 429 become
 * `TransientError`s (a 429 carries the wait its reset header names); other statuses are returned.
 * Messages name the dependency and status only: URLs and bodies may carry secrets.
 */
export async function callHttp(url: string, req: OutboundRequest): Promise<OutboundResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    // The cause says whether the request may have reached the server (see `requestMayHaveArrived`).
    throw new TransientError({
      code: req.unavailableCode,
      message: `${req.dependency} ${timedOut ? `did not answer within ${req.timeoutMs} ms` : `unreachable: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`}`,
      cause: err,
    });
  }
  const text = await res.text().catch(() => '');
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  if (res.status === 429) {
    throw new TransientError({ code: req.rateLimitedCode, message: `${req.dependency} rate limited the call (429)`, retryAfterMs: retryAfterMs(res.headers) });
  }
  if (res.status >= 500) throw new TransientError({ code: req.unavailableCode, message: `${req.dependency} answered ${res.status}` });
  return { status: res.status, headers: res.headers, body };
}

/** Socket errors after the connection was up: the request may have been written and acted on. */
const AFTER_SEND_CODES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * For an error thrown by `callHttp`: true when the server may have received (and acted on) the
 * request although no answer came back: our timeout, or a connection that broke once up. False
 * for answered calls and for calls that never left (refused connection, unknown host, bad port).
 */
export function requestMayHaveArrived(err: unknown): boolean {
  const fetchError = err instanceof Error ? (err as { cause?: unknown }).cause : undefined;
  if (!(fetchError instanceof Error)) return false;
  if (fetchError.name === 'TimeoutError' || fetchError.name === 'AbortError') return true;
  const code = (fetchError as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' && AFTER_SEND_CODES.has(code);
}

/** X sends `x-rate-limit-reset` (epoch seconds); others send `retry-after` (seconds). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const reset = Number(headers.get('x-rate-limit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  const after = Number(headers.get('retry-after'));
  return Number.isFinite(after) && after >= 0 ? after * 1000 : undefined;
}
