#!/usr/bin/env node
// What the worker's consent flow costs beside a raw Playwright script, and what its failure trace
// costs: the same successful flow against one x-sim process (its `main`, default interstitial), as
// the raw script of bench:authorize does it and as the worker's `runAuthorizeFlow` does it with the
// trace off, actions only, DOM snapshots and full (snapshots + screencast), interleaved, one fresh
// GoLogin-style browser per flow. Per variant: the flow's time, this process's CPU (Playwright and
// the flow), and Chromium's CPU from its start until the flow ended (every process of the browser's
// session, read from /proc just before the stop). After a build:
// `node scripts/bench/trace-cost.mjs [rounds] [variant,...]`. Prints medians; not a test.
import { readdirSync } from 'node:fs';
import { SlidingWindowBudget, createLogger } from '@xauth/shared';
import { runAuthorizeFlow } from '../../services/browser-worker/dist/src/browser/authorize-flow.js';
import { GoLoginProvider } from '../../services/browser-worker/dist/src/data-access/gologin.provider.js';
import { ChromiumSampler, procStat } from './lib/proc-sampler.mjs';
import { REDIRECT_URI, startXSimProcess, rawBrowserFlow } from './lib/authorize-sides.mjs';
import { median } from './lib/figures.mjs';

const rounds = Number(process.argv[2] ?? 8);
const MODES = ['off', 'actions', 'snapshots', 'full'];
const variants = {
  raw: (wsUrl, target) => rawBrowserFlow(wsUrl, target),
  ...Object.fromEntries(
    MODES.map((mode) => [
      `flow trace=${mode}`,
      async (wsUrl, target) => {
        const consent = await runAuthorizeFlow(
          {
            jobId: '00000000-0000-4000-8000-000000000001',
            attempt: 1,
            wsUrl,
            authorizeUrl: target.toString(),
            redirectUri: REDIRECT_URI,
            deadline: Date.now() + 60_000,
          },
          { stepMs: 20_000, interstitialMs: 10_000 },
          createLogger({ service: 'bench', silent: true }),
          {},
          { trace: mode },
        );
        await consent.tidy?.(false);
      },
    ]),
  ),
};
const names = process.argv[3]?.split(',') ?? Object.keys(variants);
const xsim = await startXSimProcess(names.length * (rounds + 1) * Number(process.env.LANES ?? 1), {});
const provider = new GoLoginProvider({
  baseUrl: xsim.url,
  token: 'xsim-gologin-token',
  timeoutMs: 60_000,
  stopTimeoutMs: 60_000,
  startTimeoutMs: 60_000,
  pollMs: 200,
  budget: new SlidingWindowBudget(3_000, 60_000),
  budgetWaitMs: 10_000,
});
const profileId = (n) => `64f0c0de${n.toString(16).padStart(16, '0')}`; // x-sim's seeded profile ids
const authorizeUrl = (n) =>
  new URL(
    `/i/oauth2/authorize?response_type=code&client_id=xsim-client-id&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&scope=users.read&state=state-${n}&code_challenge=challenge-0123456789012345678901234567890123&code_challenge_method=plain`,
    xsim.url,
  );
const processes = () =>
  readdirSync('/proc')
    .filter((d) => d.charCodeAt(0) <= 57)
    .map(procStat)
    .filter(Boolean);
const sessionCpuMs = (sid) => processes().reduce((ms, p) => (p.sid === sid ? ms + p.cpuMs : ms), 0);
const results = Object.fromEntries(names.map((v) => [v, []]));
let n = 0;
const LANES = Number(process.env.LANES ?? 1);
try {
  for (let r = 0; r <= rounds; r++) {
    for (const v of r % 2 ? [...names].reverse() : names) await Promise.all(Array.from({ length: LANES }, () => one(r, v)));
  }
} finally {
  await xsim.kill('SIGTERM');
}
async function one(r, v) {
  const id = profileId(++n);
  // The browser's whole life, start to stop (sampled every 20 ms: its last moments are missed, alike on every side).
  const life = LANES === 1 ? new ChromiumSampler(xsim.child.pid, { intervalMs: 20, pssEveryMs: 0 }) : undefined;
  life?.start();
  const before = new Set(
    processes()
      .filter((p) => p.ppid === xsim.child.pid && p.comm === 'chromium')
      .map((p) => p.pid),
  );
  const { wsUrl } = await provider.start(id);
  const browser = processes().find((p) => p.ppid === xsim.child.pid && p.comm === 'chromium' && !before.has(p.pid));
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await variants[v](wsUrl, authorizeUrl(n));
    const ms = performance.now() - t0;
    const own = process.cpuUsage(cpu0);
    // Round 0 warms up (JIT, Chromium's disk cache).
    if (r > 0) results[v].push({ ms, nodeMs: (own.user + own.system) / 1000, chromiumMs: browser ? sessionCpuMs(browser.pid) : Number.NaN });
  } finally {
    await provider.stop(id);
    const lifeMs = life?.stop().cpuMs;
    if (r > 0 && lifeMs !== undefined) results[v].at(-1).lifeMs = lifeMs;
  }
}
const base = median(results[names[0]].map((x) => x.ms));
console.log(`${rounds} flows per variant, interleaved; medians`);
for (const v of names) {
  const m = (k) =>
    median(results[v].map((x) => x[k]))
      .toFixed(0)
      .padStart(5);
  console.log(
    `${v.padEnd(22)} flow ${m('ms')} ms (${names[0]} + ${(median(results[v].map((x) => x.ms)) - base).toFixed(0)})   this process ${m('nodeMs')} CPU-ms   Chromium ${m('chromiumMs')} CPU-ms to the flow's end${LANES === 1 ? `, ${m('lifeMs')} start to stop` : ''}`,
  );
}
