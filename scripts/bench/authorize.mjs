#!/usr/bin/env node
// Benchmark: whole authorizations through xauth (user.login.requested on the commands exchange →
// orchestrator → browser-worker → x-sim's authorize page and consent in a real Chromium → token
// exchange → identity check → user.authenticated heard by the upstream) and, in the same run, a
// raw Playwright script doing only the browser part against the same x-sim (GoLogin-style start →
// wsUrl → connectOverCDP → default context → authorize URL → wait out the interstitial → "Authorize
// app" → the redirect's code → disconnect → stop). Each at concurrency 1, 2 and 4 (flows in
// flight = the worker's MAX_CONCURRENT_PROFILES), one account per flow (x-sim is seeded with as
// many), warm-up flows not counted. Closed loop: a lane sends its next request when its last one is
// answered, so the pipeline's own latency (dispatch, token exchange, answer) sits on its throughput
// path as well; with a backlog in the queue it would overlap the browser work. Prints flows/s,
// p50/p95 end-to-end latency, peak Chromium memory (PSS, and the RSS sum), CPU per flow by process,
// the time of each pipeline step, and pipeline/raw. x-sim's GoLogin allows 300 calls a minute (two
// per flow): a side stays far under it.
//
// Same time, same machine: this host's speed drifts by 20-40 % within minutes (the same side's rate
// moved from 0.52 to 0.67 flows/s between two runs five minutes apart), so sides measured one after
// the other in whole runs compare the machine's moments as much as the code. Both sides of a
// comparison are therefore up at once and take turns in short segments (by default two flows per
// lane), in the order A B B A A B ..., each segment timed from its order until its last flow is
// answered, after the same 1 s pause. The next segment starts only once the last one's browsers
// (and the warm-up's) are gone and their stops answered (the pipeline answers before it closes a
// browser, the raw script stops it within its flow): in a longer run that close overlaps the next
// flows, and here it must not overlap the other side's. While one side runs the other is
// stopped whole (SIGSTOP to its process group; nothing of it runs, no browser of it is open), so
// neither pays for the other's idle timers. A side's rate is its flows over the sum of its segments.
// A pause lasts one segment of the other side, well inside the broker's 60 s heartbeat.
//
// Fair comparison: each side is its own Node process with its own x-sim *process* (x-sim's main, as
// `npm start` runs it), so X, GoLogin and the Chromiums they start cost the same on both sides.
// The pipeline's orchestrator and browser-worker run as their own processes with their default
// configuration (LOG_LEVEL info, OUTBOX_POLL_MS 500), as deployed: e2e's startStack would put them,
// x-sim, the gateway and the dead-letter office on one event loop with debug logs kept in memory,
// which production never does and which would charge the pipeline for the harness. The gateway and
// the dead-letter office are not on this path and are not started. Memory and CPU are read from
// /proc by the parent process, counting only the Chromiums that side's x-sim started (other
// Chromiums on the machine are not counted); the sampler's own CPU is printed too.
// After the fixed pairs, the adaptive pipeline (the worker sizing its own pool: MIN_CONCURRENT_PROFILES=1,
// MAX_CONCURRENT_PROFILES its default, what fits the machine; as many lanes as the highest concurrency,
// so the queue holds a backlog) takes turns in the same way with the best fixed setting (the
// pipeline concurrency with the highest rate above, MIN = MAX = c, given as many lanes and as many
// warm-up flows: the same demand, a backlog on both sides), and is printed beside it with how
// its concurrency moved and why. Last (unless `--no-calibrate`), the best fixed setting takes turns
// in the same way with a copy of itself in the adaptive pool's place: what two identical sides read
// on this machine in this run, the noise a ratio near 1.00 is read against.
// `--set KEY=VALUE` (repeatable) sets a variable in the pipeline's services, to measure what a setting costs;
// `--node-arg=ARG` (repeatable) adds a Node option to them (after the production ones: `--node-arg=--cpu-prof`).
// Not a test: no assertions. `npm run bench:authorize -- --flows 32 --segment 2 --concurrency 1,2,4`
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, quantile } from './lib/figures.mjs';
import { ChromiumSampler, CpuMeter, pidsNamed } from './lib/proc-sampler.mjs';
import { SERVICE_NODE_ARGS } from '../lib/proc.mjs';

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    flows: { type: 'string', default: '32' },
    segment: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,2,4' },
    lanes: { type: 'string' },
    warmup: { type: 'string' },
    'pss-ms': { type: 'string', default: '500' },
    logs: { type: 'string' },
    'log-as': { type: 'string' },
    spans: { type: 'boolean', default: false },
    calibrate: { type: 'boolean', default: true },
    'log-level': { type: 'string', default: 'info' },
    set: { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    child: { type: 'string' },
  },
});
/** Measured flows per side (each side of a comparison runs as many). */
const FLOWS = Number(args.flows);
/** Flows per lane in one segment. */
const PER_LANE = Number(args.segment);
const CONCURRENCIES = args.concurrency.split(',').map(Number);
const PSS_MS = Number(args['pss-ms']);
/**
 * Warm-up flows per side: one per lane, at least two (JIT, Chromium's disk cache, pools). The adaptive
 * side's are four per lane: long enough for its pool to measure where it starts and the level above
 * (three slot cycles each) and settle, so that what is measured is a running pool, not its first minute.
 */
const warmupFor = (c, kind) => (args.warmup !== undefined ? Number(args.warmup) : kind === 'adaptive' ? 4 * c : Math.max(2, c));
/** The pause before every segment, the same for each: the last segment's browsers are gone by then. */
const SETTLE_MS = 1_000;
/** How long a segment's browsers may take to be gone after its last flow was answered. */
const GONE_WAIT_MS = 30_000;
/**
 * After its browsers are gone, how long a side runs on before it is stopped: x-sim answers a profile
 * stop once the browser has exited, and a worker stopped before that answer reached it would find its
 * stop timed out when it resumes (and kill a browser that is already gone, on the next segment's clock).
 */
const STOP_ANSWER_MS = 300;
/** The adaptive side's lanes: enough demand for any fixed setting measured. */
const ADAPTIVE_LANES = Math.max(...CONCURRENCIES);

/** Sides still running, to be ended with the bench however it ends (they lead their own process groups). */
const live = new Set();
const endAll = () => {
  for (const side of live) {
    side.signal('SIGCONT');
    side.signal('SIGTERM');
  }
};
process.on('exit', endAll);
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    endAll();
    process.exit(130);
  });

/**
 * One side (raw, pipeline or adaptive at a concurrency) in its own Node process and process group,
 * kept stopped (SIGSTOP) except while it runs a segment. Each segment is timed and metered here.
 */
class Side {
  /**
   * `lanes`: flows in flight (the adaptive side's concurrency is its lanes; its pool sizes itself);
   * `warmup`: flows before the measured ones; `name`: its label where two sides would otherwise share
   * one. The label also names its log files (`--logs`).
   */
  constructor(kind, concurrency, lanes = concurrency, warmup = warmupFor(concurrency, kind), name = undefined) {
    Object.assign(this, { kind, concurrency, lanes, warmup, name, segments: [], inbox: [], waiting: undefined });
  }

  get label() {
    if (this.name) return this.name;
    if (this.kind === 'adaptive') return `${this.lanes} lanes  adaptive`;
    return this.lanes === this.concurrency ? `c=${this.concurrency}  ${this.kind}` : `c=${this.concurrency}  ${this.lanes} lanes`;
  }

  /** Starts the side, waits until it has run its warm-up flows, and stops it. */
  async start() {
    const passOn = [
      ...(args.logs ? ['--logs', args.logs, '--log-level', args['log-level'], '--log-as', this.label] : []),
      ...(args.spans ? ['--spans'] : []),
      ...args.set.flatMap((kv) => ['--set', kv]),
      ...args['node-arg'].flatMap((a) => [`--node-arg=${a}`]),
    ];
    const c = String(this.concurrency);
    this.child = spawn(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--child',
        this.kind,
        '--concurrency',
        c,
        '--lanes',
        String(this.lanes),
        '--flows',
        String(FLOWS),
        '--warmup',
        String(this.warmup),
        ...passOn,
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true },
    );
    live.add(this);
    this.child.on('message', (m) => (this.waiting ? this.waiting.resolve(m) : this.inbox.push(m)));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        this.waiting?.reject(new Error(`${this.label} exited with ${code ?? signal}`));
        resolve(code ?? signal);
      }),
    );
    const ready = await this.next('ready');
    Object.assign(this, { xsimPid: ready.xsimPid, pids: ready.pids });
    // The last warm-up browser closes off the clock too (a browser is its own session: stopping the side does not stop it).
    this.sampler = new ChromiumSampler(this.xsimPid, { pssEveryMs: PSS_MS });
    this.sampler.start();
    const gone = await this.quiet();
    this.sampler.stop();
    if (!gone) console.log(`  ${this.label}: a warm-up browser was still up ${GONE_WAIT_MS} ms after the last warm-up answer`);
    this.signal('SIGSTOP');
  }

  /**
   * Waits until none of the browsers the sampler knows is left (exited and reaped), then STOP_ANSWER_MS
   * more; false if one outlived GONE_WAIT_MS.
   */
  async quiet() {
    this.sampler.tick(); // every browser of the work just answered is known to it now: none starts after the last answer
    const until = performance.now() + GONE_WAIT_MS;
    while (this.sampler.browsersLeft()) {
      if (performance.now() > until) return false;
      await sleep(20);
    }
    await sleep(STOP_ANSWER_MS);
    return true;
  }

  /** The side's next message, which must be of `phase`. */
  async next(phase) {
    const m = this.inbox.shift() ?? (await new Promise((resolve, reject) => (this.waiting = { resolve, reject })).finally(() => (this.waiting = undefined)));
    if (m.phase !== phase) throw new Error(`${this.label}: expected ${phase}, got ${m.phase}`);
    return m;
  }

  signal(sig) {
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Runs `flows` flows over the side's lanes, timed from the order until the last is answered; returns once its browsers are gone. */
  async segment(flows) {
    this.signal('SIGCONT');
    const groups = (pids) => ({ ...pids, client: [this.child.pid], 'rabbitmq (whole broker)': pidsNamed('beam.smp') });
    const { sampler } = this;
    const cpu = new CpuMeter();
    sampler.start();
    cpu.start(groups(this.pids));
    const t0 = performance.now();
    this.child.send({ flows });
    const done = await this.next('segment');
    const ms = performance.now() - t0;
    // The next segment (of either side) starts with none of this one's browsers left: the pipeline's
    // last close, which in a longer run would overlap its next flows, is waited for off the clock.
    const gone = await this.quiet();
    const chromium = sampler.stop();
    const cpuMs = { chromium: chromium.cpuMs, ...cpu.stop(groups(done.pids)) };
    this.signal('SIGSTOP');
    this.pids = done.pids;
    if (!gone) console.log(`  ${this.label}: a browser was still up ${GONE_WAIT_MS} ms after the segment's last answer`);
    this.segments.push({ ms, results: done.results, chromium, cpuMs });
  }

  /** Ends the side (it tears down what it started) and returns what it reports last. */
  async finish() {
    this.signal('SIGCONT');
    this.child.send({ flows: 0 });
    const { result } = await this.next('result');
    await this.exited;
    this.result = result;
    return figures(this);
  }
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const okOf = (segments) => segments.flatMap((s) => s.results.filter((r) => !r.error));
const rateOf = (segments) => okOf(segments).length / (sum(segments.map((s) => s.ms)) / 1000);

function figures(side) {
  const { segments } = side;
  const ok = okOf(segments);
  const ms = ok.map((r) => r.ms);
  const peak = (k) => Math.max(...segments.map((s) => s.chromium[k]));
  const cpuKeys = Object.keys(segments[0].cpuMs);
  return {
    side: side.kind,
    label: side.label,
    concurrency: side.concurrency,
    config: side.result.config,
    segments,
    failed: segments.flatMap((s) => s.results.filter((r) => r.error).map((r) => r.error)),
    flowsPerSec: rateOf(segments),
    p50: quantile(ms, 0.5),
    p95: quantile(ms, 0.95),
    peakPssMb: peak('peakPssMb'),
    peakOwnPssMb: peak('peakOwnPssMb'),
    peakRssMb: peak('peakRssMb'),
    maxBrowsers: peak('maxBrowsers'),
    samplerCpuMs: sum(segments.map((s) => s.chromium.samplerCpuMs)),
    cpuPerFlow: Object.fromEntries(cpuKeys.map((k) => [k, sum(segments.map((s) => s.cpuMs[k] ?? 0)) / ok.length])),
    steps: ok.map((r) => r.steps),
    spans: side.result.spans,
    pool: side.result.pool,
  };
}

/**
 * Two sides, both up, taking turns in the order A B B A A B ... until each has run FLOWS, after the
 * same pause before each segment. A segment is `PER_LANE` flows per lane of the side with more lanes
 * (at most; FLOWS is split evenly), the same count on both sides.
 */
async function takeTurns(a, b) {
  await a.start();
  await b.start();
  const done = new Map([
    [a, 0],
    [b, 0],
  ]);
  // As many segments on each side, so that every segment of one has its partner of the other.
  const turns = Math.ceil(FLOWS / (PER_LANE * Math.max(a.lanes, b.lanes)));
  const perSegment = Math.ceil(FLOWS / turns);
  for (let i = 0; done.get(a) < FLOWS || done.get(b) < FLOWS; i++) {
    for (const side of i % 2 ? [b, a] : [a, b]) {
      const flows = Math.min(perSegment, FLOWS - done.get(side));
      if (flows <= 0) continue;
      await sleep(SETTLE_MS);
      await side.segment(flows);
      done.set(side, done.get(side) + flows);
    }
  }
  return [await a.finish(), await b.finish()];
}

/** `b` against `a` per pair of segments (the i-th of each), and over each half of the run. */
function spread(a, b) {
  const pairs = a.segments.map((s, i) => b.segments[i] && rateOf([b.segments[i]]) / rateOf([s])).filter(Number.isFinite);
  const n = Math.min(a.segments.length, b.segments.length);
  const half = Math.ceil(n / 2);
  const halves = [
    [0, half],
    [half, n],
  ].map(([from, to]) => rateOf(b.segments.slice(from, to)) / rateOf(a.segments.slice(from, to)));
  const byHalf = n > 1 ? `; first half ${halves[0].toFixed(2)}, second half ${halves[1].toFixed(2)}` : '';
  return `${n} segments each; per pair ${Math.min(...pairs).toFixed(2)} to ${Math.max(...pairs).toFixed(2)}, median ${median(pairs).toFixed(2)}${byHalf}`;
}

const n0 = (x, w = 5) => (Number.isFinite(x) ? x.toFixed(0) : '-').padStart(w);
const fmt = (r) =>
  `${r.label.padEnd(18)} ${r.flowsPerSec.toFixed(2).padStart(5)} flows/s   p50 ${n0(r.p50)} ms   p95 ${n0(r.p95)} ms   Chromium peak PSS ${n0(r.peakPssMb)} MB (anon+shmem ${n0(r.peakOwnPssMb)}; RSS sum ${n0(r.peakRssMb)}; ${r.maxBrowsers} browsers)${r.failed.length ? `   FAILED ${r.failed.length}: ${r.failed[0]}` : ''}`;
const fmtCpu = (r) =>
  `CPU per flow: ${Object.entries(r.cpuPerFlow)
    .map(([k, v]) => `${k} ${n0(v, 0)} ms`)
    .join(', ')}; sampler ${n0(r.samplerCpuMs / okOf(r.segments).length, 0)} ms`;
const fmtPool = (p) =>
  `concurrency (ceiling ${p?.ceiling}; seconds since the worker started, its stopped turns included): ${p?.moves.map((m) => `${m.concurrency}@${m.atS}s`).join(' → ')}; changes: ${p?.changes.join(', ')}`;
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

function printSide(r) {
  console.log(`  ${fmt(r)}`);
  console.log(`  ${' '.repeat(18)} ${fmtCpu(r)}`);
  const names = Object.keys(r.steps[0] ?? {});
  console.log(`  ${' '.repeat(18)} steps (median ms): ${names.map((k) => `${k} ${n0(median(r.steps.map((s) => s[k])), 0)}`).join(' | ')}`);
  if (r.spans) {
    console.log(`  ${' '.repeat(18)} spans (every flow, warm-up included; median ms, count):`);
    for (const s of r.spans) console.log(`  ${' '.repeat(20)} ${s.name.padEnd(64)} ${n0(s.medianMs, 7)} ${String(s.count).padStart(5)}`);
  }
}

async function main() {
  console.log(
    `authorize benchmark: ${FLOWS} flows per side at concurrency ${CONCURRENCIES.join(', ')} (warm-up ${CONCURRENCIES.map((c) => warmupFor(c)).join('/')} flows first, adaptive and the best fixed beside it ${warmupFor(ADAPTIVE_LANES, 'adaptive')}, not counted), one account per flow; raw and pipeline up at once, taking turns in segments of ${PER_LANE} flow(s) per lane (A B B A ...), the side not running stopped; each side its own process with its own x-sim process`,
  );
  console.log(
    `memory: peak over the measured flows of the summed PSS (/proc/<pid>/smaps_rollup, at each new RSS high, at most every ${PSS_MS} ms; anon+shmem: the part no other Chromium on the machine shares) and RSS (/proc/<pid>/statm, every 100 ms; counts shared pages once per process) of that side's Chromium processes`,
  );
  console.log(`load before: ${uptime()}`);
  const ratios = [];
  const fixed = [];
  let raw0;
  for (const [i, c] of CONCURRENCIES.entries()) {
    // Which side goes first alternates between concurrencies.
    const sides = [new Side('raw', c), new Side('pipeline', c)];
    const results = await takeTurns(...(i % 2 ? sides.reverse() : sides));
    const [raw, pipe] = ['raw', 'pipeline'].map((kind) => results.find((r) => r.side === kind));
    const ratio = pipe.flowsPerSec / raw.flowsPerSec;
    ratios.push({ c, ratio });
    raw0 ??= raw;
    fixed.push(pipe);
    console.log(`\nc=${c}`);
    printSide(raw);
    printSide(pipe);
    console.log(`  pipeline / raw: throughput ${ratio.toFixed(3)} (target >= 0.90; ${spread(raw, pipe)}), p50 latency ${(pipe.p50 / raw.p50).toFixed(2)}`);
  }
  // The best fixed setting above runs again, taking turns with the adaptive pool.
  const best = fixed.reduce((x, y) => (y.flowsPerSec > x.flowsPerSec ? y : x));
  // Under the same demand and warm-up: the fixed setting gets the adaptive side's lanes, so that both
  // have a backlog, and its warm-up flows.
  const adaptiveSide = new Side('adaptive', ADAPTIVE_LANES);
  const [bestAgain, adaptive] = await takeTurns(new Side('pipeline', best.concurrency, ADAPTIVE_LANES, adaptiveSide.warmup), adaptiveSide);
  const adaptiveRatio = adaptive.flowsPerSec / bestAgain.flowsPerSec;
  console.log(
    `\nadaptive pipeline (MIN_CONCURRENT_PROFILES=1, MAX_CONCURRENT_PROFILES default = ${adaptive.pool?.ceiling}; ${ADAPTIVE_LANES} lanes) against the best fixed setting above (c=${best.concurrency}, with as many lanes; ${fixed.map((f) => `c=${f.concurrency} ${f.flowsPerSec.toFixed(2)}`).join(', ')} flows/s), taking turns:`,
  );
  printSide(bestAgain);
  printSide(adaptive);
  console.log(`  ${' '.repeat(18)} ${fmtPool(adaptive.pool)}`);
  console.log(`  adaptive / best fixed: ${adaptiveRatio.toFixed(3)} (target >= 1.00; ${spread(bestAgain, adaptive)})`);
  // What the same comparison reads when nothing differs: the best fixed setting, as it ran beside the
  // adaptive pool, taking turns with a copy of itself in the adaptive pool's place (second). Two
  // identical sides read 1.00 give or take the bench's noise, which is what a ratio near 1.00 is read against.
  let selfRatio;
  if (args.calibrate) {
    const [first, copy] = await takeTurns(
      new Side('pipeline', best.concurrency, ADAPTIVE_LANES, adaptiveSide.warmup, `c=${best.concurrency} first`),
      new Side('pipeline', best.concurrency, ADAPTIVE_LANES, adaptiveSide.warmup, `c=${best.concurrency} copy`),
    );
    selfRatio = copy.flowsPerSec / first.flowsPerSec;
    console.log(`\nthe best fixed setting against a copy of itself in the adaptive pool's place (the bench's noise; --no-calibrate skips it):`);
    printSide(first);
    printSide(copy);
    console.log(`  copy / best fixed: ${selfRatio.toFixed(3)} (${spread(first, copy)})`);
  }
  console.log(`\nsides: raw = ${raw0.config}; pipeline = ${best.config.replace(/MAX_CONCURRENT_PROFILES=\d+/, 'MAX_CONCURRENT_PROFILES=c')}`);
  console.log(`load after: ${uptime()}`);
  console.log(
    `authorize ratios: pipeline/raw ${ratios.map((r) => `c=${r.c} ${r.ratio.toFixed(3)}`).join(', ')} (target >= 0.90); adaptive/best fixed (c=${best.concurrency}) ${adaptiveRatio.toFixed(3)} (target >= 1.00)${selfRatio === undefined ? '' : `; the same setting against itself ${selfRatio.toFixed(3)}`}`,
  );
}

if (args.child) {
  // One side in a fresh process: warm-up, then segments as the parent orders them (it stops this
  // process between them), then the tear-down.
  const { rawSide, pipelineSide } = await import('./lib/authorize-sides.mjs');
  const ask = (msg) =>
    new Promise((resolve) => {
      process.once('message', resolve);
      process.send(msg);
    });
  const concurrency = Number(args.concurrency);
  const run = args.child === 'raw' ? rawSide : pipelineSide;
  const result = await run(
    {
      concurrency,
      lanes: Number(args.lanes ?? concurrency),
      adaptive: args.child === 'adaptive',
      flows: FLOWS,
      warmup: warmupFor(concurrency),
      logDir: args.logs,
      logAs: args['log-as'],
      logLevel: args.logs ? args['log-level'] : 'info',
      spans: args.spans,
      serviceEnv: Object.fromEntries(args.set.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
      nodeArgs: [...SERVICE_NODE_ARGS, ...args['node-arg']],
    },
    {
      ready: (info) => ask({ phase: 'ready', ...info }),
      segment: (info) => ask({ phase: 'segment', ...info }),
    },
  );
  process.send({ phase: 'result', result }, () => process.exit(0));
} else {
  await main();
}
