import http from 'node:http';
import { isLocalHost } from '../pool/browser-reaper.js';

/** Where the CDP WebSocket may be compressed: `remote` browsers only, `always` (Playwright's own behaviour), `never`. */
export type CdpCompression = 'remote' | 'always' | 'never';

let mode: CdpCompression = 'always';
let installed = false;

/**
 * Playwright's `connectOverCDP` always offers WebSocket `permessage-deflate`, and has no option to
 * leave it out: Chromium then compresses every CDP message it sends and the worker inflates each
 * one. Over a network that saves bandwidth; to a browser on this host (a local GoLogin profile, the
 * local provider) it only burns CPU on both ends, the same cores the browsers need: in a CPU profile
 * of the worker at two concurrent flows, zlib was a third of its CPU. With `remote` (the default) or
 * `never`, the offer is taken out of the upgrade request, so Chromium answers without the extension
 * and both ends send plain frames; the WebSocket client accepts a server that declines an offer.
 *
 * The offer is removed where Playwright's bundled `ws` client sends it, `http.request` (which it
 * reads at each connection), by a wrapper that only touches WebSocket upgrade requests carrying the
 * offer. Installed once per process; `always` leaves `http.request` untouched.
 */
export function setCdpCompression(next: CdpCompression): void {
  mode = next;
  if (installed || next === 'always') return;
  installed = true;
  const original = http.request;
  http.request = function request(this: unknown, ...args: unknown[]) {
    const [first, second] = args;
    if (first && typeof first === 'object' && !(first instanceof URL)) dropOffer(first as http.RequestOptions);
    else if (second && typeof second === 'object') dropOffer(second as http.RequestOptions);
    return (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
  } as typeof http.request;
}

function dropOffer(opts: http.RequestOptions): void {
  if (!opts.headers || Array.isArray(opts.headers) || mode === 'always') return;
  const headers = opts.headers as http.OutgoingHttpHeaders;
  const upgrade = Object.keys(headers).find((k) => k.toLowerCase() === 'upgrade');
  if (!upgrade || String(headers[upgrade]).toLowerCase() !== 'websocket') return;
  const offer = Object.keys(headers).find((k) => k.toLowerCase() === 'sec-websocket-extensions');
  if (!offer) return;
  if (mode === 'never' || isLocalHost(String(opts.hostname ?? opts.host ?? ''))) delete headers[offer];
}
