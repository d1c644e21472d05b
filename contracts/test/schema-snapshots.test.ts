import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { dataSchemaId, messages, type RoutingKey } from '../src/catalog.js';
import { currentSchema, snapshotPath, snapshotStatus, writeSnapshots } from '../src/schema-snapshots.js';

const types = Object.keys(messages) as RoutingKey[];

describe('published message schemas (contracts/schemas)', () => {
  for (const type of types) {
    it(`when ${type} is published, then its contract keeps the promise of ${dataSchemaId(type)}`, () => {
      const status = snapshotStatus(type);
      const fix = {
        current: '',
        missing: `no snapshot of ${dataSchemaId(type)}: run \`npm run contracts:snapshot\` and commit contracts/schemas`,
        stale: `${type} changed compatibly since its snapshot: run \`npm run contracts:snapshot\` and commit contracts/schemas`,
        breaking:
          `${type} breaks the published ${dataSchemaId(type)}; give it a new version (version: ${messages[type].version + 1} in contracts/src/catalog.ts), ` +
          `then run \`npm run contracts:snapshot\`:\n  ${status.state === 'breaking' ? status.changes.join('\n  ') : ''}`,
        'version-went-back': `${type} is at v${messages[type].version} but a later version was published: versions only go up`,
      }[status.state];
      expect(status.state, fix).to.equal('current');
    });
  }
});

describe('schema snapshots: the check and the writer', () => {
  let dir: string;
  const type: RoutingKey = 'token.refreshed';
  const publish = (schema: object, version = 1) => {
    mkdirSync(join(dir, type), { recursive: true });
    writeFileSync(snapshotPath(type, version, dir), JSON.stringify(schema));
  };
  const current = () => currentSchema(type) as { properties: Record<string, unknown>; required: string[] };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xauth-schemas-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when the published version had a field the contract no longer has, then it is breaking and the writer refuses to overwrite it', () => {
    const published = current();
    publish({ ...published, properties: { ...published.properties, region: { type: 'string' } }, required: [...published.required, 'region'] });
    expect(snapshotStatus(type, dir)).to.deep.equal({ state: 'breaking', changes: ['region: removed (or renamed)'] });
    const { written, refused } = writeSnapshots({ dir });
    expect(refused).to.have.length(1);
    expect(refused[0]).to.match(/^token\.refreshed: breaks the published urn:xauth:schema:token\.refreshed:v1:\n {4}region: removed/);
    expect(written).not.to.include(snapshotPath(type, 1, dir));
  });

  it('when the contract gained an optional field since the snapshot, then the snapshot is stale (not broken) and the writer refreshes it', () => {
    const login: RoutingKey = 'user.login.requested';
    const { force: _f, ...withoutForce } = (currentSchema(login) as { properties: Record<string, unknown> }).properties;
    mkdirSync(join(dir, login), { recursive: true });
    writeFileSync(snapshotPath(login, 1, dir), JSON.stringify({ ...currentSchema(login), properties: withoutForce }));
    expect(snapshotStatus(login, dir)).to.deep.equal({ state: 'stale' });
    expect(writeSnapshots({ dir }).refused).to.deep.equal([]);
    expect(snapshotStatus(login, dir)).to.deep.equal({ state: 'current' });
  });

  it('when a later version was published than the contract names, then the check says versions only go up', () => {
    publish(current(), 2);
    expect(snapshotStatus(type, dir)).to.deep.equal({ state: 'version-went-back', newest: 2 });
  });

  it('when a type has no snapshot, then it is missing and the writer creates it', () => {
    expect(snapshotStatus(type, dir)).to.deep.equal({ state: 'missing' });
    writeSnapshots({ dir });
    expect(snapshotStatus(type, dir)).to.deep.equal({ state: 'current' });
  });
});
