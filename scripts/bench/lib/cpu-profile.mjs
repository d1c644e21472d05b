// Reads V8 .cpuprofile files (`node --cpu-prof`) and tells where the self time went: by function
// and by package, so a benchmark can print what a profiled process spent its CPU on.
import { readFileSync } from 'node:fs';

/** Where a frame's code lives: a package under node_modules, the project's own code, or Node itself. */
function owner(url) {
  if (!url) return '(native/V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:internal/deps/')) return `node's ${url.split('/')[2]}`;
  if (url.startsWith('node:internal/')) return 'node:internal/' + url.split('/')[1];
  if (url.startsWith('node:')) return url;
  const project = /\/(shared|contracts|services\/[^/]+)\/dist\//.exec(url);
  return project ? `@xauth/${project[1].replace('services/', '')}` : url;
}

/**
 * Self time (ms) per function and per owner of one profile; `idle`, `program` and `garbage
 * collector` are kept apart. The top `limit` functions and owners, by self time. With `windows`
 * ([startUs, endUs] pairs of the monotonic clock, `process.hrtime.bigint() / 1000n`, which V8's
 * sample times share), only the samples taken inside them count.
 */
export function summarizeProfile(path, limit = 20, windows = undefined) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  const inWindow = (t) => !windows || windows.some(([a, b]) => t >= a && t <= b);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += deltas[i] ?? 0;
    if (inWindow(t)) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (deltas[i] ?? 0));
  }
  const fns = new Map();
  const owners = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame: f } = byId.get(id);
    if (f.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    totalUs += us;
    const where = f.url ? `${f.url.replace(/^file:\/\/.*?\/(node_modules|shared|contracts|services)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
    const o = ['(garbage collector)', '(program)'].includes(f.functionName) ? f.functionName : owner(f.url);
    owners.set(o, (owners.get(o) ?? 0) + us);
  }
  // Inclusive time of the code of packages and of xauth (Node's internals and V8's frames left out).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map();
  for (const [id, us] of selfUs) {
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at).callFrame;
      if (!f.url || f.url.startsWith('node:')) continue;
      const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\/.*?\/(node_modules|shared|contracts|services)\//, '$1/')}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const top = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / totalUs }));
  return { busyMs: totalUs / 1000, idleMs: idleUs / 1000, functions: top(fns), owners: top(owners), inclusive: top(inclusive) };
}

/** Lines to print for one profile's summary. */
export function formatProfile(label, s) {
  const pct = (x) => `${(100 * x).toFixed(1).padStart(5)} %`;
  return [
    `${label}: ${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle`,
    '  self time by package:',
    ...s.owners.map((o) => `    ${pct(o.share)}  ${o.name}`),
    '  self time by function:',
    ...s.functions.map((f) => `    ${pct(f.share)}  ${f.name}`),
    '  total time (self + callees) of package and xauth functions:',
    ...s.inclusive.map((f) => `    ${pct(f.share)}  ${f.name}`),
  ];
}
