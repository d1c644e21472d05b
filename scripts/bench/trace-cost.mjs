#!/usr/bin/env node
// What a Playwright trace costs one successful consent flow: the same flow against x-sim with
// tracing off, actions only, DOM snapshots, and full (snapshots + screencast), interleaved. After a build:
// `node scripts/bench/trace-cost.mjs [rounds]`. Prints the median and mean per mode; not a test.
import { SlidingWindowBudget, createLogger } from '@xauth/shared';
import { startXSim } from '@xauth/x-sim';
import { runAuthorizeFlow } from '../../services/browser-worker/dist/src/browser/authorize-flow.js';
import { GoLoginProvider } from '../../services/browser-worker/dist/src/data-access/gologin.provider.js';

const rounds = Number(process.argv[2] ?? 8);
const redirectUri = 'http://127.0.0.1:9/oauth/callback';
const sim = await startXSim({ apps: [{ name: 'bench', clientId: 'cid', clientSecret: 'sec', redirectUris: [redirectUri] }], interstitialMs: 0 });
const provider = new GoLoginProvider({
  baseUrl: sim.url,
  token: 'xsim-gologin-token',
  timeoutMs: 10_000,
  stopTimeoutMs: 10_000,
  startTimeoutMs: 30_000,
  pollMs: 200,
  budget: new SlidingWindowBudget(300, 60_000),
  budgetWaitMs: 10_000,
});
const logger = createLogger({ service: 'bench', silent: true });
const modes = ['off', 'actions', 'snapshots', 'full'];
const times = Object.fromEntries(modes.map((m) => [m, []]));
try {
  for (let r = 0; r < rounds + 1; r++) {
    for (const mode of modes) {
      const profile = sim.state.profileOf('xsim_user_001');
      const open = await provider.start(profile.id);
      try {
        const url = `${sim.url}/i/oauth2/authorize?response_type=code&client_id=cid&redirect_uri=${encodeURIComponent(redirectUri)}&scope=users.read&state=state-${r}-${mode}&code_challenge=challenge-123&code_challenge_method=plain`;
        const t0 = performance.now();
        const consent = await runAuthorizeFlow(
          { jobId: '00000000-0000-4000-8000-000000000001', attempt: 1, wsUrl: open.wsUrl, authorizeUrl: url, redirectUri, deadline: Date.now() + 30_000 },
          { stepMs: 10_000, interstitialMs: 5_000 },
          logger,
          {},
          { trace: mode },
        );
        if (r > 0) times[mode].push(performance.now() - t0); // round 0 warms up
        await consent.tidy?.(false);
      } finally {
        await provider.stop(profile.id);
      }
    }
  }
} finally {
  await sim.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = median(times.off);
for (const m of modes) {
  console.log(
    `${m.padEnd(10)} median ${median(times[m]).toFixed(0).padStart(5)} ms  mean ${mean(times[m]).toFixed(0).padStart(5)} ms  (+${(median(times[m]) - base).toFixed(0)} ms over off)`,
  );
}
