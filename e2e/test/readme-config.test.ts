import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';

describe('README configuration tables', () => {
  it('when a config schema changes, then the README tables say the same (npm run docs:config)', () => {
    const root = new URL('../../../', import.meta.url);
    const generated = execFileSync(process.execPath, [new URL('scripts/config-docs.mjs', root).pathname], { encoding: 'utf8' });
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const section = readme.split('<!-- config:start -->')[1]?.split('<!-- config:end -->')[0] ?? '';
    expect(section.trim()).to.equal(generated.trim());
  });
});
