import type { CliSettings } from './config.js';

/** An error answer of the gateway (`{code, message}`), or the gateway being unreachable. */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** Talks to the gateway with a service JWT from the client-credentials grant (fetched once, on first use). */
export class GatewayClient {
  private token?: Promise<string>;
  private readonly scoped = new Map<string, GatewayClient>();

  /** @param scope the one scope its token asks for @defaultValue every scope the client holds */
  constructor(
    private readonly settings: CliSettings,
    private readonly scope?: string,
  ) {}

  /** The same gateway with a token for another scope (e.g. `clients:admin`), fetched once too. */
  withScope(scope: string): GatewayClient {
    if (scope === this.scope) return this;
    let client = this.scoped.get(scope);
    if (!client) this.scoped.set(scope, (client = new GatewayClient(this.settings, scope)));
    return client;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await (this.token ??= this.fetchToken());
    return this.send<T>(method, path, { authorization: `Bearer ${token}` }, body);
  }

  /** A token with every scope the client holds: the commands span several (dlq:admin, accounts:admin); each route checks its own. */
  private async fetchToken(): Promise<string> {
    const res = await this.send<{ access_token: string }>(
      'POST',
      '/v1/oauth/token',
      {},
      {
        grant_type: 'client_credentials',
        client_id: this.settings.clientId,
        client_secret: this.settings.clientSecret,
        ...(this.scope ? { scope: this.scope } : {}),
      },
    );
    return res.access_token;
  }

  private async send<T>(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.settings.gatewayUrl}${path}`, {
        method,
        headers: { accept: 'application/json', ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new GatewayError('UPSTREAM_UNAVAILABLE', `cannot reach the gateway at ${this.settings.gatewayUrl} (${cause})`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    if (res.ok) return json as T;
    const e = (json ?? {}) as { code?: string; message?: string; error?: string; error_description?: string };
    throw new GatewayError(e.code ?? e.error ?? `HTTP_${res.status}`, e.message ?? e.error_description ?? (text.slice(0, 200) || res.statusText), res.status);
  }
}
