import type { Request, RequestHandler, Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultEndpoint } from '../../domain/faults.store.js';
import type { SimState } from '../../sim-state.js';
import { xApiUnavailable } from './http-helpers.js';

const RATE_LIMIT_WINDOW_SEC = 60;
const RATE_LIMIT_LIMIT = '50';

/**
 * Applies injected faults to one endpoint; `userOf` says which simulated user the request concerns,
 * `clientOf` which OAuth client sent it.
 */
export function faultGate(
  state: SimState,
  endpoint: FaultEndpoint,
  userOf: (req: Request) => string | undefined,
  clientOf: (req: Request) => string | undefined = () => undefined,
): RequestHandler {
  return async (req, res, next) => {
    const user = userOf(req);
    const { latencyMs, latencyAfterMs, action } = state.faults.take(endpoint, user, clientOf(req));
    if (latencyMs > 0) await sleep(latencyMs);
    if (latencyAfterMs > 0) answerLate(res, latencyAfterMs);
    if (action.kind !== 'none') state.options.logger.debug('fault injected', { endpoint, user, action: action.kind });
    switch (action.kind) {
      case 'none':
        return next();
      case 'drop':
        req.socket.destroy();
        return;
      case '429': {
        const reset = Math.floor(Date.now() / 1000) + RATE_LIMIT_WINDOW_SEC;
        res.set({ 'x-rate-limit-limit': RATE_LIMIT_LIMIT, 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) });
        res.status(429).json({ title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
        return;
      }
      case '5xx':
        return xApiUnavailable(res, action.status);
    }
  };
}

/** Holds the finished answer back: the work is done (a token rotated), only the reply is late. */
function answerLate(res: Response, ms: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    setTimeout(() => {
      if (!res.destroyed) end(...args);
    }, ms);
    return res;
  }) as Response['end'];
}
