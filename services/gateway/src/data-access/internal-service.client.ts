import { ErrorCode, ErrorCodes } from '@xauth/contracts';
import { AppError, callHttp, errorMessage, type Logger } from '@xauth/shared';

export interface InternalServiceClientOptions {
  /** Names the service in logs and errors, e.g. "orchestrator". */
  service: string;
  baseUrl: string;
  internalToken: string;
  timeoutMs: number;
  logger: Logger;
}

export interface CallContext {
  requestId: string;
  correlationId: string;
  /** Extra headers for the service (e.g. who acts). */
  headers?: Record<string, string>;
}

/**
 * A service's internal API (the orchestrator's queries, the dead-letter office). Success bodies
 * pass through as they are; its error answers keep their status, code and message. Its being away
 * is `UPSTREAM_UNAVAILABLE`, and nothing about where it lives reaches the caller.
 */
export class InternalServiceClient {
  private readonly base: string;

  constructor(private readonly opts: InternalServiceClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  get(path: string, ctx: CallContext): Promise<unknown> {
    return this.call('GET', path, ctx);
  }

  post(path: string, body: unknown, ctx: CallContext): Promise<unknown> {
    return this.call('POST', path, ctx, body);
  }

  /**
   * A file the service serves (not JSON): its bytes stream through as they come. Error answers
   * become errors exactly as `get`'s do.
   */
  async download(path: string, ctx: CallContext): Promise<{ headers: Headers; body: ReadableStream<Uint8Array> }> {
    const service = this.opts.service;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        headers: { ...ctx.headers, authorization: `Bearer ${this.opts.internalToken}`, 'x-request-id': ctx.requestId, 'x-correlation-id': ctx.correlationId },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      this.opts.logger.warn(`${service} call failed`, { error: errorMessage(err) });
      throw unavailable(`the ${service} is unavailable`);
    }
    if (res.status === 200 && res.body) return { headers: res.headers, body: res.body };
    const text = await res.text().catch(() => '');
    let body: unknown;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    throw this.failure(res.status, body);
  }

  private async call(method: string, path: string, ctx: CallContext, body?: unknown): Promise<unknown> {
    const service = this.opts.service;
    let res: Awaited<ReturnType<typeof callHttp>>;
    const started = Date.now();
    try {
      res = await callHttp(`${this.base}${path}`, {
        method,
        headers: {
          ...ctx.headers, authorization: `Bearer ${this.opts.internalToken}`, accept: 'application/json', 'x-request-id': ctx.requestId, 'x-correlation-id': ctx.correlationId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.opts.timeoutMs,
        dependency: service,
        unavailableCode: ErrorCodes.UPSTREAM_UNAVAILABLE,
        rateLimitedCode: ErrorCodes.UPSTREAM_UNAVAILABLE,
      });
    } catch (err) {
      this.opts.logger.warn(`${service} call failed`, { error: errorMessage(err) });
      const timedOut = Date.now() - started >= this.opts.timeoutMs;
      throw timedOut ? unavailable(`the ${service} did not answer within ${this.opts.timeoutMs} ms`, 504) : unavailable(`the ${service} is unavailable`);
    }
    if (res.status >= 200 && res.status < 300 && isObject(res.body)) return res.body;
    throw this.failure(res.status, res.body);
  }

  /** What a non-success answer means for the caller. */
  private failure(status: number, body: unknown): AppError {
    const service = this.opts.service;
    if (status === 401 || status === 403) {
      // Our internal token is wrong: the caller's own credentials are fine, so not a 401/403 for them.
      this.opts.logger.error(`the ${service} refused the internal API token; check INTERNAL_API_TOKEN`, { status });
      return unavailable(`the ${service} refused the gateway`, 502);
    }
    if (status >= 400 && status < 500 && isObject(body) && ErrorCode.safeParse(body.code).success && typeof body.message === 'string') {
      return new AppError({ code: body.code as string, message: body.message.slice(0, 2000), httpStatus: status, retryable: false });
    }
    this.opts.logger.warn(`unexpected answer from the ${service}`, { status });
    return unavailable(`the ${service} gave an unexpected answer`, status >= 500 ? 503 : 502);
  }

  /** For `/ready`: the service answers its own `/ready` with 200. */
  async ready(): Promise<boolean> {
    try {
      const res = await callHttp(`${this.base}/ready`, { timeoutMs: 2_000, dependency: this.opts.service, unavailableCode: ErrorCodes.UPSTREAM_UNAVAILABLE, rateLimitedCode: ErrorCodes.UPSTREAM_UNAVAILABLE });
      return res.status === 200;
    } catch {
      return false;
    }
  }
}

function unavailable(message: string, httpStatus = 503): AppError {
  return new AppError({ code: ErrorCodes.UPSTREAM_UNAVAILABLE, message, httpStatus, retryable: true });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
