import type { Request, Response } from 'express';

/** Reads one cookie without a cookie-parser dependency; X's cookies are plain tokens. */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** One string parameter from a parsed form body or query; repeated or missing parameters are undefined. */
export function stringParam(source: unknown, name: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

export function bearerOf(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

export function html(res: Response, status: number, body: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
}

/** X API's answer when it is down or failing: a problem body with the 5xx status. */
export function xApiUnavailable(res: Response, status = 503): void {
  res.status(status).json({ title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status });
}
