import { ErrorCode, ErrorCodes } from '@xauth/contracts';
import { Pool, type Dispatcher } from 'undici';
import { AppError, callHttp, errorMessage, type Logger } from '@xauth/shared';

export interface InternalServiceClientOptions {
  /** Names the service in logs and errors, e.g. "orchestrator". */
  service: string;
  baseUrl: string;
  internalToken: string;
  timeoutMs: number;
  logger: Logger;
  /** Keep-alive connections to the service at most. @defaultValue 64 */
  connections?: number;
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
  /** The base URL's path (a service behind a path prefix), put before each call's path. */
  private readonly prefix: string;
  private readonly pool: Pool;

  constructor(private readonly opts: InternalServiceClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.prefix = new URL(this.base).pathname.replace(/\/+$/, '');
    // Keep-alive connections to the service, reused by every request; idle ones close after a while.
    this.pool = new Pool(new URL(this.base).origin, { connections: opts.connections ?? 64, keepAliveTimeout: 4_000 });
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
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    throw this.errorFor(res.status, body);
  }

  /**
   * Every token read goes through here, so it is undici's own request on a keep-alive pool (no
   * fetch: its WHATWG Request, Headers, streams and abort signal cost more than the hop itself).
   * The timeout bounds the wait for the answer's headers and then for each part of its body.
   */
  private async call(method: string, path: string, ctx: CallContext, body?: unknown): Promise<unknown> {
    const service = this.opts.service;
    let status: number;
    let text: string;
    try {
      const res = await this.pool.request({
        method: method as Dispatcher.HttpMethod,
        path: `${this.prefix}${path}`,
        headers: {
          ...ctx.headers,
          authorization: `Bearer ${this.opts.internalToken}`,
          accept: 'application/json',
          'x-request-id': ctx.requestId,
          'x-correlation-id': ctx.correlationId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      this.opts.logger.warn(`${service} call failed`, { error: errorMessage(err) });
      const code = (err as { code?: unknown }).code;
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      throw timedOut ? unavailable(`the ${service} did not answer within ${this.opts.timeoutMs} ms`, 504) : unavailable(`the ${service} is unavailable`);
    }
    if (status >= 500 || status === 429) {
      this.opts.logger.warn(`${service} call failed`, { error: `${service} answered ${status}` });
      throw unavailable(`the ${service} is unavailable`);
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    if (status >= 200 && status < 300 && isObject(parsed)) return parsed;
    throw this.errorFor(status, parsed);
  }

  /** Closes the keep-alive connections (the gateway's stop). */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** What a non-success answer (or one answer of a batch) means for the caller. */
  errorFor(status: number, body: unknown): AppError {
    const service = this.opts.service;
    if (status === 401 || status === 403) {
      // Our internal token is wrong: the caller's own credentials are fine, so not a 401/403 for them.
      this.opts.logger.error(`the ${service} refused the internal API token; check the INTERNAL_TOKEN_GATEWAY_* secret of that pair`, { status });
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
      const res = await callHttp(`${this.base}/ready`, {
        timeoutMs: 2_000,
        dependency: this.opts.service,
        unavailableCode: ErrorCodes.UPSTREAM_UNAVAILABLE,
        rateLimitedCode: ErrorCodes.UPSTREAM_UNAVAILABLE,
      });
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
