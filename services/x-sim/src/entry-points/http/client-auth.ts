import type { Request } from 'express';
import type { SimApp } from '../../options.js';
import { stringParam } from './http-helpers.js';

export type ClientAuth = { ok: true; app: SimApp } | { ok: false; status: number; body: { error: string; error_description: string } };

const UNAUTHORIZED: ClientAuth = {
  ok: false, status: 401, body: { error: 'unauthorized_client', error_description: 'Missing valid authorization header' },
};

/** Confidential apps must send HTTP Basic; public apps name themselves with `client_id` in the body. */
export function authenticateClient(req: Request, apps: SimApp[]): ClientAuth {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return UNAUTHORIZED;
    // RFC 6749 2.3.1: both halves are form-encoded before being joined.
    const id = safeDecode(decoded.slice(0, colon));
    const secret = safeDecode(decoded.slice(colon + 1));
    const app = apps.find((a) => a.clientId === id);
    if (!app || (app.clientSecret !== undefined && app.clientSecret !== secret)) return UNAUTHORIZED;
    return { ok: true, app };
  }
  const app = apps.find((a) => a.clientId === stringParam(req.body, 'client_id'));
  if (!app || app.clientSecret !== undefined) return UNAUTHORIZED;
  return { ok: true, app };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
