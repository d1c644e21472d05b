import { Router, type RequestHandler } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { overloadVerdict } from '../../domain/gologin-overload.rule.js';
import type { SimState } from '../../sim-state.js';
import { faultGate } from './fault.middleware.js';
import { bearerOf } from './http-helpers.js';

const PAGE_SIZE = 30;

/** The slice of GoLogin's API xauth uses: list profiles, start one (a real Chromium), stop it. */
export function gologinApiRoutes(state: SimState): Router {
  const router = Router();
  const profileOwner = (id: unknown): string | undefined => (typeof id === 'string' ? state.users.profile(id)?.username : undefined);
  const gate = faultGate(state, 'gologin', (req) => profileOwner(req.params.id));

  router.use(
    '/browser',
    (req, _res, next) => {
      if (req.path !== '/v2') state.statsStore.gologinProfileCalled();
      next();
    },
    gologinAuth(state),
  );

  router.get('/browser/v2', gate, (req, res) => {
    const page = Math.max(1, Number.parseInt(typeof req.query.page === 'string' ? req.query.page : '1', 10) || 1);
    const listed = state.users.listed();
    const profiles = listed.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((p) => ({
      id: p.id,
      name: p.name,
      notes: p.notes,
      os: 'lin',
      browserType: 'chrome',
      canBeRunning: true,
    }));
    // A listing glitch a test asked for: this page fails, or comes without its profiles (as a partial answer can).
    const glitch = state.takeListingGlitch(page);
    if (glitch === 'fail') return void res.status(502).json({ message: 'Bad gateway' });
    if (glitch === 'no_profiles') return void res.json({ allProfilesCount: listed.length });
    res.json({ profiles, allProfilesCount: listed.length });
  });

  router.post('/browser/:id/start', gate, async (req, res) => {
    const profile = state.users.profile(String(req.params.id));
    if (!profile) return void res.status(404).json({ message: 'Profile not found' });
    if (state.browsers.isRunning(profile.id)) {
      state.statsStore.alreadyRunningRejected();
      return void res.status(409).json({ message: 'Profile is already running' });
    }
    const overload = overloadVerdict(state.overload, state.browsers.startsInFlight());
    if (overload.kind === 'reject') {
      state.statsStore.overloadRejected();
      return void res.status(503).json({ message: 'Too many browser starts at once, try again later' });
    }
    if (overload.kind === 'delay') state.statsStore.overloadDelayed();
    const overloadDelayMs = overload.kind === 'delay' ? overload.delayMs : 0;
    const setting = state.scenarios.of(profile.username);
    if (setting.scenario === 'slow_start') {
      // GoLogin answers a start that takes a while as pending; the status call says when it runs.
      state.browsers
        .start(profile, { delayMs: setting.latencyMs + overloadDelayMs })
        .catch((err: Error) => state.options.logger.warn('pending profile start failed', { profileId: profile.id, err: err.message }));
      return void res.status(202).json({ id: profile.id, status: 'pending' });
    }
    const running = await state.browsers.start(profile, { delayMs: overloadDelayMs });
    state.options.logger.info('profile started', { profileId: profile.id, pid: running.pid });
    res.json({ id: profile.id, status: 'running', wsUrl: running.wsUrl });
  });

  router.get('/browser/:id/status', gate, (req, res) => {
    const profile = state.users.profile(String(req.params.id));
    if (!profile) return void res.status(404).json({ message: 'Profile not found' });
    res.json({ id: profile.id, ...state.browsers.statusOf(profile.id) });
  });

  router.post('/browser/:id/stop', gate, async (req, res) => {
    const profile = state.users.profile(String(req.params.id));
    if (!profile) return void res.status(404).json({ message: 'Profile not found' });
    const setting = state.scenarios.of(profile.username);
    if (setting.scenario === 'hang_on_close') {
      // The browser refuses to die: stop answers late (or, for a caller with a shorter timeout,
      // never) and leaves Chromium running, so the caller must end its process itself.
      await sleep(setting.latencyMs);
      return void res.json({ status: 'stopped' });
    }
    await state.browsers.stop(profile.id);
    res.json({ status: 'stopped' });
  });

  return router;
}

/** Bearer check, then the per-minute limit: exceeding it invalidates the token, as GoLogin does. */
function gologinAuth(state: SimState): RequestHandler {
  return (req, res, next) => {
    if (state.gologinTokenRevoked || bearerOf(req) !== state.options.gologinToken) {
      return void res.status(401).json({ message: 'Unauthorized' });
    }
    if (!state.gologinLimiter.hit()) {
      state.gologinTokenRevoked = true;
      state.options.logger.warn('gologin rate limit exceeded: API token invalidated until reset');
      return void res.status(429).json({ message: 'Too many requests' });
    }
    next();
  };
}
