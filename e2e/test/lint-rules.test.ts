import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ESLint } from 'eslint';

const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * A throwaway service laid out like ours (`services/demo/src/{domain,data-access}`), linted with the
 * repository's own rules (eslint.config.js's `xauthLintConfig`, rooted at the fixture) and walked by
 * madge as `npm run lint` walks the packages.
 */
class LintFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'xauth-lint-'));

  constructor() {
    this.write('package.json', JSON.stringify({ name: 'lint-fixture', private: true, type: 'module' }));
    this.write(
      'tsconfig.base.json',
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true },
      }),
    );
    this.write('tsconfig.json', JSON.stringify({ extends: './tsconfig.base.json', include: ['services'] }));
    this.write(
      'eslint.config.js',
      `import { xauthLintConfig } from ${JSON.stringify(join(ROOT, 'eslint.config.js'))};\nexport default xauthLintConfig(import.meta.dirname);\n`,
    );
  }

  write(path: string, text: string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), text);
  }

  /** Every error, as `rule file` (file relative to the service's src), from a fresh ESLint each time. */
  async eslintErrors(): Promise<string[]> {
    const eslint = new ESLint({ cwd: this.dir, overrideConfigFile: join(this.dir, 'eslint.config.js') });
    const results = await eslint.lintFiles(['services']);
    return results.flatMap((r) => r.messages.map((m) => `${m.ruleId ?? m.message} ${r.filePath.slice(join(this.dir, 'services/demo/src/').length)}`));
  }

  /** madge's cycles as `npm run lint` asks for them; exit code 0 when there are none. */
  async madge(): Promise<{ code: number; out: string }> {
    const bin = join(ROOT, 'node_modules/.bin/madge');
    const args = ['--circular', '--no-spinner', '--extensions', 'ts', '--ts-config', 'tsconfig.base.json', 'services'];
    try {
      const { stdout } = await promisify(execFile)(bin, args, { cwd: this.dir });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      return { code: e.code ?? 1, out: e.stdout ?? '' };
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A domain that is right: rules import each other one way, the use case names a port and data-access implements it. */
function writeCleanService(f: LintFixture): void {
  f.write('services/demo/src/domain/model.ts', 'export interface Job { id: string; attempts: number }\n');
  f.write(
    'services/demo/src/domain/ports.ts',
    "import type { Job } from './model.js';\n\nexport interface JobStore { find(id: string): Promise<Job | undefined> }\n",
  );
  f.write('services/demo/src/domain/limits.rule.ts', 'export const MAX_ATTEMPTS = 3;\n');
  f.write(
    'services/demo/src/domain/retry.rule.ts',
    "import { MAX_ATTEMPTS } from './limits.rule.js';\nimport type { Job } from './model.js';\n\nexport const mayRetry = (job: Job): boolean => job.attempts < MAX_ATTEMPTS;\n",
  );
  f.write(
    'services/demo/src/domain/retry-job.use-case.ts',
    [
      "import type { JobStore } from './ports.js';",
      "import { mayRetry } from './retry.rule.js';",
      '',
      'export async function retryJob(store: JobStore, id: string): Promise<boolean> {',
      '  const job = await store.find(id);',
      '  return job !== undefined && mayRetry(job);',
      '}',
      '',
    ].join('\n'),
  );
  f.write(
    'services/demo/src/data-access/job.repository.ts',
    [
      "import type { Job } from '../domain/model.js';",
      "import type { JobStore } from '../domain/ports.js';",
      '',
      'export class JobRepository implements JobStore {',
      '  private readonly jobs = new Map<string, Job>();',
      '  find(id: string): Promise<Job | undefined> {',
      '    return Promise.resolve(this.jobs.get(id));',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
}

describe('lint: the layering rules (eslint.config.js, npm run lint)', function () {
  this.timeout(120_000);
  let fixture: LintFixture;

  beforeEach(() => {
    fixture = new LintFixture();
    writeCleanService(fixture);
  });
  afterEach(() => fixture.remove());

  it('when a service keeps its layers and has no cycle, then ESLint and madge pass it', async () => {
    expect(await fixture.eslintErrors()).to.deep.equal([]);
    const madge = await fixture.madge();
    expect(madge.code, madge.out).to.equal(0);
  });

  it('when two domain files import each other, then import-x/no-cycle and madge both fail it', async () => {
    fixture.write(
      'services/demo/src/domain/limits.rule.ts',
      "import { mayRetry } from './retry.rule.js';\n\nexport const MAX_ATTEMPTS = 3;\nexport const retriesAtAll = mayRetry({ id: 'probe', attempts: 0 });\n",
    );
    const errors = await fixture.eslintErrors();
    expect(errors).to.include('import-x/no-cycle domain/limits.rule.ts');
    expect(errors).to.include('import-x/no-cycle domain/retry.rule.ts');
    const madge = await fixture.madge();
    expect(madge.code).to.not.equal(0);
    expect(madge.out).to.match(/domain\/limits\.rule\.ts > .*domain\/retry\.rule\.ts|domain\/retry\.rule\.ts > .*domain\/limits\.rule\.ts/);
  });

  it('when a cycle is only of types, then madge still fails it (ESLint leaves type-only cycles to madge)', async () => {
    fixture.write(
      'services/demo/src/domain/model.ts',
      "import type { JobStore } from './ports.js';\n\nexport interface Job { id: string; attempts: number; store?: JobStore }\n",
    );
    expect(await fixture.eslintErrors()).to.deep.equal([]);
    const madge = await fixture.madge();
    expect(madge.code).to.not.equal(0);
    expect(madge.out).to.match(/domain\/model\.ts > .*domain\/ports\.ts/);
  });

  it('when the domain imports data-access, then import-x/no-restricted-paths fails it', async () => {
    fixture.write(
      'services/demo/src/domain/retry-job.use-case.ts',
      [
        "import { JobRepository } from '../data-access/job.repository.js';",
        "import { mayRetry } from './retry.rule.js';",
        '',
        'export async function retryJob(id: string): Promise<boolean> {',
        '  const job = await new JobRepository().find(id);',
        '  return job !== undefined && mayRetry(job);',
        '}',
        '',
      ].join('\n'),
    );
    expect(await fixture.eslintErrors()).to.deep.equal(['import-x/no-restricted-paths domain/retry-job.use-case.ts']);
  });

  it("when the domain imports the service's config or an entry point, then import-x/no-restricted-paths fails it", async () => {
    fixture.write('services/demo/src/config.ts', 'export interface DemoConfig { maxAttempts: number }\n');
    fixture.write('services/demo/src/entry-points/http/routes.ts', "export const ROUTES = ['/jobs'];\n");
    fixture.write(
      'services/demo/src/domain/settings.ts',
      "import type { DemoConfig } from '../config.js';\nimport { ROUTES } from '../entry-points/http/routes.js';\n\nexport type Settings = DemoConfig & { routes: typeof ROUTES };\n",
    );
    expect(await fixture.eslintErrors()).to.deep.equal(['import-x/no-restricted-paths domain/settings.ts', 'import-x/no-restricted-paths domain/settings.ts']);
  });

  it("when code imports another package's src or dist, then no-restricted-imports fails it", async () => {
    fixture.write(
      'services/demo/src/data-access/deep.ts',
      "export { ErrorCodes } from '@xauth/contracts/src/errors.js';\nexport { Bus } from '@xauth/shared/dist/src/bus/bus.js';\n",
    );
    const errors = await fixture.eslintErrors();
    expect(errors.filter((e) => e.startsWith('no-restricted-imports'))).to.deep.equal([
      'no-restricted-imports data-access/deep.ts',
      'no-restricted-imports data-access/deep.ts',
    ]);
  });
});
