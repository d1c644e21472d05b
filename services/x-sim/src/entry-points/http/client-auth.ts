import type { Request } from 'express';
import type { SimApp } from '../../options.js';
import { stringParam } from './http-helpers.js';

export type ClientAuth = { ok: true; app: SimApp } | { ok: false; status: number; body: { error: string; error_description: string } };

const UNAUTHORIZED: ClientAuth = {
  ok: false,
  status: 401,
  body: { error: 'unauthorized_client', error_description: 'Missing valid authorization header' },
};

/** Confidential apps must send HTTP Basic; public apps name themselves with `client_id` in the body. */
export function authenticateClient(req: Request, apps: SimApp[]): ClientAuth {
  const basic = basicCredentials(req);
  if (basic) {
    if (basic === 'malformed') return UNAUTHORIZED;
    const { id, secret } = basic;
    const app = apps.find((a) => a.clientId === id);
    if (!app || (app.clientSecret !== undefined && app.clientSecret !== secret)) return UNAUTHORIZED;
    return { ok: true, app };
  }
  const app = apps.find((a) => a.clientId === stringParam(req.body, 'client_id'));
  if (!app || app.clientSecret !== undefined) return UNAUTHORIZED;
  return { ok: true, app };
}

/** The client id a token request claims (Basic auth or `client_id`), authenticated or not. */
export function clientIdOf(req: Request): string | undefined {
  const basic = basicCredentials(req);
  if (!basic) return stringParam(req.body, 'client_id');
  return basic === 'malformed' ? undefined : basic.id;
}

function basicCredentials(req: Request): { id: string; secret: string } | 'malformed' | undefined {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  // RFC 6749 2.3.1: both halves are form-encoded before being joined.
  return { id: safeDecode(decoded.slice(0, colon)), secret: safeDecode(decoded.slice(colon + 1)) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
