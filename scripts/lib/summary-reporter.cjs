// mocha's spec reporter plus one plain closing line, "N passed, N failed[, N skipped]", that CI reads,
// preceded by the slowest top-level suites (hooks included), so a run that nears CI's time limit says where it went.
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const took = [];
    runner.on('suite', (suite) => {
      if (suite.parent?.root) started.set(suite, Date.now());
    });
    runner.on('suite end', (suite) => {
      if (started.has(suite)) took.push([suite.title, (Date.now() - started.get(suite)) / 1000]);
    });
    runner.once('end', () => {
      const s = runner.stats;
      const slowest = took.sort((a, b) => b[1] - a[1]).slice(0, 12);
      process.stdout.write(`\nslowest suites (s): ${slowest.map(([t, sec]) => `${sec.toFixed(0)} ${t.slice(0, 60)}`).join(' | ')}\n`);
      process.stdout.write(`total ${(s.duration / 1000).toFixed(0)} s\n`);
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ''}\n`);
    });
  }
}
module.exports = SpecWithSummary;
