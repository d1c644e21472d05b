import type { RequestHandler } from 'express';
import type { Metrics } from '@xauth/shared';
import { parseBasicAuth } from '../../domain/credentials.rule.js';
import { FixedWindows, type ClientRateLimit } from './rate-limit.middleware.js';

/**
 * The limit in front of `POST /v1/oauth/token`, BEFORE the secret is checked: each check is a
 * 128 MiB scrypt, so guessing must cost the guesser. Two budgets, both must have room: one per
 * source IP (a flood from one address, whatever client ids it names) and one per named client id
 * (guesses at one client from many addresses). The client id is read from the body or Basic
 * header without authenticating it.
 */
export function tokenRateLimit(limits: { perIpPerMinute: number; perClientPerMinute: number }, metrics: Metrics): ClientRateLimit {
  const limited = metrics.counter('xauth_gateway_token_rate_limited_total', 'Token requests refused before authentication, by budget', ['by']);
  const byIp = new FixedWindows(limits.perIpPerMinute);
  const byClient = new FixedWindows(limits.perClientPerMinute);
  const middleware: RequestHandler = (req, res, next) => {
    const ipRefused = byIp.hit(`ip:${req.ip ?? '-'}`, res);
    if (ipRefused) {
      limited.inc({ by: 'ip' });
      return next(ipRefused);
    }
    const clientId = namedClientId(req.get('authorization'), req.body);
    const clientRefused = clientId === undefined ? undefined : byClient.hit(`client:${clientId}`, res);
    if (clientRefused) {
      limited.inc({ by: 'client' });
      return next(clientRefused);
    }
    next();
  };
  return {
    middleware,
    stop: () => {
      byIp.stop();
      byClient.stop();
    },
  };
}

function namedClientId(authorization: string | undefined, body: unknown): string | undefined {
  const basic = parseBasicAuth(authorization);
  if (basic) return basic.clientId.slice(0, 100);
  const id = (body as { client_id?: unknown } | undefined)?.client_id;
  return typeof id === 'string' && id ? id.slice(0, 100) : undefined;
}
