import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createLogger } from '@xauth/shared';
import { ArtifactStore } from '../src/failure-artifacts/artifact-store.js';
import { readZip, redactZip, writeZip } from '../src/failure-artifacts/zip-redactor.js';

const logger = createLogger({ service: 'browser-worker-test', silent: true });
const JOB = '0b5f8a52-3c1e-4d7a-9f00-1234567890ab';
const OTHER = '1b5f8a52-3c1e-4d7a-9f00-1234567890ab';

describe('failure artifacts on disk', () => {
  let root: string;
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'xauth-artifacts-test-')); });
  afterEach(async () => { await rm(root, { recursive: true, force: true }); });

  it('when a trace zip is redacted, then text entries lose the secrets and OAuth parameters, binary ones keep their size, and the zip reads back', () => {
    const secret = 'st4te-value-0123456789';
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]), Buffer.from(secret), Buffer.from([0, 2])]);
    const zip = writeZip([
      { name: 'trace.network', data: Buffer.from(`{"url":"http://127.0.0.1:9/cb?state=${secret}&code=abc123"}`) },
      { name: 'resources/frame.png', data: png },
    ]);
    const out = readZip(redactZip(zip, (t) => t.split(secret).join('[REDACTED]').replace(/code=[^&"]+/g, 'code=[REDACTED]'), [secret]));
    expect(out.map((e) => e.name)).to.deep.equal(['trace.network', 'resources/frame.png']);
    expect(out[0]!.data.toString()).to.equal('{"url":"http://127.0.0.1:9/cb?state=[REDACTED]&code=[REDACTED]"}');
    expect(out[1]!.data.length).to.equal(png.length);
    expect(out[1]!.data.includes(Buffer.from(secret))).to.equal(false);
  });

  it('when an attempt writes HTML, then the given secrets and OAuth query values are redacted before the disk sees them', async () => {
    const store = new ArtifactStore({ root, retentionMs: 60_000, maxBytes: 1e9, logger });
    const into = store.forAttempt(JOB.toUpperCase(), 2, ['state-abcdefgh-123'])!;
    const name = await into.putText('page.html', '<a href="/cb?code=XYZ987&state=state-abcdefgh-123">state-abcdefgh-123</a>');
    expect(name).to.equal(`${JOB}/2/page.html`);
    const html = await readFile(join(root, JOB, '2', 'page.html'), 'utf8');
    expect(html).not.to.contain('state-abcdefgh-123').and.not.to.contain('XYZ987');
    expect(await store.open({ jobId: JOB, attempt: '2', file: 'page.html' })).to.include({ contentType: 'text/html; charset=utf-8' });
    expect(await store.open({ jobId: JOB, attempt: '2', file: 'trace.zip' })).to.equal(undefined);
    expect(store.forAttempt('../../etc', 1, [])).to.equal(undefined);
  });

  it('when a trace\'s network log is redacted, then every cookie and credential header value is gone, names kept', () => {
    const store = new ArtifactStore({ root, retentionMs: 60_000, maxBytes: 1e9, logger });
    const into = store.forAttempt(JOB, 1, [])!;
    into.addSecrets(['cookie-value-from-the-context']);
    const line = JSON.stringify({ request: { cookies: [{ name: 'auth_token', value: 'sess1234567890' }], headers: [{ name: 'Cookie', value: 'auth_token=sess1234567890; lang=en' }, { name: 'Accept', value: 'text/html' }] }, response: { headers: [{ name: 'set-cookie', value: 'cf_clearance=abc; path=/' }] }, note: 'cookie-value-from-the-context' });
    const out = JSON.parse(into.redact(line));
    expect(out.request.cookies).to.deep.equal([{ name: 'auth_token', value: '[REDACTED]' }]);
    expect(out.request.headers).to.deep.equal([{ name: 'Cookie', value: '[REDACTED]' }, { name: 'Accept', value: 'text/html' }]);
    expect(out.response.headers[0].value).to.equal('[REDACTED]');
    expect(out.note).to.equal('[REDACTED]');
    expect(into.redact('document.cookie = "auth_token=sess1234567890; ct0=abcdef"')).not.to.contain('sess1234567890').and.not.to.contain('abcdef');
  });

  it('when the sweep runs, then folders past retention go, then the oldest until the total fits, and empty job folders go too', async () => {
    const now = Date.now();
    const folder = async (job: string, attempt: number, bytes: number, ageMs: number) => {
      const dir = join(root, job, String(attempt));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'page.html'), Buffer.alloc(bytes));
      const t = new Date(now - ageMs);
      await utimes(join(dir, 'page.html'), t, t);
      await utimes(dir, t, t);
    };
    await folder(JOB, 1, 100, 10_000); // past retention
    await folder(JOB, 2, 400, 3_000); // oldest within retention: over budget
    await folder(OTHER, 1, 400, 2_000);
    await folder(OTHER, 2, 100, 1_000);
    const store = new ArtifactStore({ root, retentionMs: 5_000, maxBytes: 600, logger });
    expect(await store.sweep(now)).to.deep.equal({ removed: 2, bytes: 500 });
    expect(await readdir(root)).to.deep.equal([OTHER]);
    expect((await readdir(join(root, OTHER))).sort()).to.deep.equal(['1', '2']);
  });
});
