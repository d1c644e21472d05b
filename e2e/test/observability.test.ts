import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startStack, type Stack } from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ALERTS = join(ROOT, 'infra/prometheus/alerts.yml');
const ALERT_TESTS = join(ROOT, 'infra/prometheus/alerts.test.yml');
const SCRAPE_CONFIG = join(ROOT, 'infra/prometheus/prometheus.yml');
const DASHBOARD = join(ROOT, 'infra/grafana/xauth-dashboard.json');

/** promtool (installed by `npm test`'s set-up from Debian's prometheus package). */
function promtool(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { timeout: 60_000 }, (err, out, errOut) =>
      err ? reject(new Error(`promtool ${args.join(' ')} failed: ${err.message}\n${out}\n${errOut}`)) : resolve(out),
    );
  });
}

async function dashboardQueries(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

/** The xauth metric names a text mentions, as exported (a histogram's _bucket/_count/_sum are the histogram). */
const metricNames = (text: string): string[] => [...new Set([...text.matchAll(/\bxauth_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')))];

describe('observability: alert rules and the dashboard (promtool, the running stack)', function () {
  this.timeout(120_000);

  it("when promtool checks the scrape config and the rules and runs the rules' unit tests, then all pass", async () => {
    expect(await promtool('check', 'config', SCRAPE_CONFIG)).to.contain('SUCCESS');
    expect(await promtool('check', 'rules', ALERTS)).to.match(/SUCCESS: \d+ rules found/);
    expect(await promtool('test', 'rules', ALERT_TESTS)).to.contain('SUCCESS');
  });

  it("when the dashboard's queries are parsed by promtool, then every one is valid PromQL", async () => {
    const queries = await dashboardQueries();
    expect(queries.length).to.be.greaterThan(10);
    const dir = await mkdtemp(join(tmpdir(), 'xauth-dashboard-'));
    try {
      // Each query as a recording rule: promtool parses the expression of every rule it checks.
      const rules = { groups: [{ name: 'dashboard', rules: queries.map((expr, i) => ({ record: `xauth_dashboard_panel_${i}`, expr })) }] };
      await writeFile(join(dir, 'dashboard.rules.json'), JSON.stringify(rules));
      expect(await promtool('check', 'rules', join(dir, 'dashboard.rules.json'))).to.contain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('against the services', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack();
    });
    after(async () => {
      await stack?.stop();
    });

    it('when the stack runs, then every metric the alert rules and the dashboard name is one a service exports', async () => {
      const exported = new Set<string>();
      for (const url of [stack.gateway.metricsUrl, stack.orchestrator.url, stack.worker!.url, stack.deadLetters.url]) {
        const text = await (await fetch(`${url}/metrics`)).text();
        for (const m of text.matchAll(/^# TYPE (xauth_[a-z_]+) /gm)) exported.add(m[1]!);
      }
      const named = metricNames(`${await readFile(ALERTS, 'utf8')}\n${(await dashboardQueries()).join('\n')}`);
      expect(named.length).to.be.greaterThan(10);
      expect(
        named.filter((n) => !exported.has(n)),
        'named but exported by no service',
      ).to.deep.equal([]);
    });
  });
});
