import type { Request, RequestHandler } from 'express';
import type { OutageTarget } from '../../domain/outages.store.js';
import { renderUnavailable } from '../../pages/x-web.page.js';
import type { SimState } from '../../sim-state.js';
import { html, xApiUnavailable } from './http-helpers.js';

/** Which simulated service a path belongs to; the /_sim controls belong to none and never go down. */
export function outageTargetOf(req: Request): OutageTarget | undefined {
  const path = req.path;
  if (path.startsWith('/browser/')) return 'gologin';
  if (path.startsWith('/2/')) return 'x-api';
  if (path.startsWith('/i/') || path.startsWith('/cdn-cgi/') || path.startsWith('/account/')) return 'x-web';
  return undefined;
}

/** While a target is down every request to it is refused before anything else looks at it. */
export function outageGate(state: SimState): RequestHandler {
  return (req, res, next) => {
    const target = outageTargetOf(req);
    const mode = target && state.outages.modeOf(target);
    if (!target || !mode) return next();
    state.statsStore.outageRefused(target);
    if (mode === 'drop') return void req.socket.destroy();
    res.set('Cache-Control', 'no-store');
    if (target === 'x-web') return void html(res, 503, renderUnavailable());
    if (target === 'gologin') return void res.status(503).json({ message: 'Service Unavailable' });
    xApiUnavailable(res);
  };
}
