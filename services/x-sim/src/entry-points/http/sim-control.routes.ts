import express, { Router } from 'express';
import { z } from 'zod';
import { FAULT_ENDPOINTS } from '../../domain/faults.store.js';
import { OVERLOAD_MODES } from '../../domain/gologin-overload.rule.js';
import { OUTAGE_MODES, OUTAGE_TARGETS } from '../../domain/outages.store.js';
import { SCENARIO_NAMES } from '../../domain/scenarios.store.js';
import { LISTING_GLITCHES, type SimState } from '../../sim-state.js';

/** X's auth_token lives for years; a year is plenty for a test profile. */
const COOKIE_LIFETIME_SEC = 365 * 24 * 3600;
const ms = z.number().int().min(0).max(600_000);

const scenarioBody = z.object({ scenario: z.enum(SCENARIO_NAMES), latencyMs: ms.optional() }).strict();
const faultBody = z
  .object({
    user: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    endpoint: z.enum(FAULT_ENDPOINTS).optional(),
    latencyMs: ms.optional(),
    latencyAfterMs: ms.optional(),
    status429: z.boolean().optional(),
    status5xx: z.union([z.boolean(), z.number().int().min(500).max(599)]).optional(),
    drop: z.boolean().optional(),
    times: z.number().int().min(1).optional(),
  })
  .strict();
const overloadBody = z
  .object({
    maxConcurrentStarts: z.number().int().min(0),
    mode: z.enum(OVERLOAD_MODES),
    delayMs: ms.optional(),
  })
  .strict();
const outageBody = z
  .object({
    target: z.enum(OUTAGE_TARGETS),
    durationMs: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600_000),
    mode: z.enum(OUTAGE_MODES).optional(),
  })
  .strict();
const glitchBody = z.object({ page: z.number().int().min(1), kind: z.enum(LISTING_GLITCHES) }).strict();
const listedBody = z.object({ listed: z.boolean() }).strict();
const lifetimeBody = z.object({ seconds: z.number().int().min(0), user: z.string().min(1).optional() }).strict();

/** Unauthenticated controls for tests and operators; never exposed by the real X, obviously. */
export function simControlRoutes(state: SimState): Router {
  const router = Router();
  router.use('/_sim', express.json({ limit: '16kb' }));

  router.post('/_sim/users/:username/scenario', (req, res) => {
    if (!state.users.user(req.params.username)) return void res.status(404).json({ message: 'Unknown user' });
    const body = scenarioBody.parse(req.body ?? {});
    state.setScenario(req.params.username, body.scenario, { latencyMs: body.latencyMs });
    res.json({ ok: true });
  });

  router.post('/_sim/faults', (req, res) => {
    state.addFault(faultBody.parse(req.body ?? {}));
    res.json({ ok: true });
  });

  router.post('/_sim/overload', (req, res) => {
    state.setOverload(overloadBody.parse(req.body ?? {}));
    res.json({ ok: true });
  });

  router.delete('/_sim/overload', (_req, res) => {
    state.setOverload(undefined);
    res.json({ ok: true });
  });

  router.post('/_sim/outages', (req, res) => {
    state.startOutage(outageBody.parse(req.body ?? {}));
    res.json({ ok: true });
  });

  router.delete('/_sim/outages', (_req, res) => {
    state.endOutages();
    res.json({ ok: true });
  });

  router.post('/_sim/token-lifetime', (req, res) => {
    const body = lifetimeBody.parse(req.body ?? {});
    state.setTokenLifetime(body.seconds, body.user);
    res.json({ ok: true });
  });

  router.post('/_sim/gologin/listing-glitches', (req, res) => {
    const body = glitchBody.parse(req.body ?? {});
    state.addListingGlitch(body.page, body.kind);
    res.json({ ok: true });
  });

  // A profile deleted in GoLogin (listed: false) or back again.
  router.post('/_sim/profiles/:id/listed', (req, res) => {
    if (!state.users.profile(req.params.id)) return void res.status(404).json({ message: 'Unknown profile' });
    state.users.setListed(req.params.id, listedBody.parse(req.body ?? {}).listed);
    res.json({ ok: true });
  });

  // Every token X revoked (whose, which kind), optionally one user's.
  router.get('/_sim/revocations', (req, res) => {
    const user = typeof req.query.user === 'string' ? req.query.user : undefined;
    res.json(state.tokens.revocations.filter((r) => user === undefined || r.username === user));
  });

  router.post('/_sim/reset', (_req, res) => {
    state.reset();
    res.json({ ok: true });
  });

  router.get('/_sim/stats', (_req, res) => {
    res.json(state.stats());
  });

  // A signed-in browser's X session as a cookie export (EditThisCookie's format, which Playwright-style
  // importers read too), for seeding a local profile the way an operator would.
  router.get('/_sim/users/:username/cookies', (req, res) => {
    const profile = state.users.profileOf(req.params.username);
    if (!profile) return void res.status(404).json({ message: 'Unknown user' });
    const expirationDate = Math.floor(Date.now() / 1000) + COOKIE_LIFETIME_SEC;
    res.json([
      {
        domain: state.cookieDomain(),
        hostOnly: true,
        httpOnly: true,
        name: 'auth_token',
        path: '/',
        sameSite: 'lax',
        secure: false,
        session: false,
        storeId: '0',
        value: profile.sessionToken,
        expirationDate,
      },
    ]);
  });

  router.get('/_sim/users', (_req, res) => {
    res.json(state.users.users.map((u) => ({ ...u, profileId: state.users.profileOf(u.username)?.id })));
  });

  return router;
}
