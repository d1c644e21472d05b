import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createLogger, withLogContext } from '../src/logger.js';
import { redact, redactText } from '../src/redact.js';

describe('secret redaction', () => {
  it('when secrets appear as fields or inside text, then they are replaced', () => {
    const out = redact({ accountId: 'a', accessToken: 'tok-1', nested: { code: 'c-1', refresh_token: 'r-1' }, note: 'Bearer abc.def' });
    expect(JSON.stringify(out)).not.to.match(/tok-1|c-1|r-1|abc\.def/);
    expect(out.accountId).to.equal('a');
    expect(redactText('GET /cb?state=s1&code=c2 x')).to.equal('GET /cb?state=[REDACTED]&code=[REDACTED] x');
    expect(redactText('{"access_token":"zzz","scope":"a"}')).to.equal('{"access_token":"[REDACTED]","scope":"a"}');
  });

  it('when a log line carries secrets, then the written JSON has none of them and keeps the context ids', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const logger = createLogger({ service: 'test', stream, silent: true });
    withLogContext({ correlationId: 'corr-1' }, () => {
      logger.info('exchanging code=SECRETCODE for tokens', { codeVerifier: 'VERIFIER', headers: { authorization: 'Bearer SECRETJWT' }, jobId: 'j-1' });
    });
    await new Promise((r) => setImmediate(r));
    const line = chunks.join('');
    expect(line).not.to.match(/SECRETCODE|VERIFIER|SECRETJWT/);
    const parsed = JSON.parse(line.trim().split('\n')[0]!);
    expect(parsed).to.include({ service: 'test', correlationId: 'corr-1', jobId: 'j-1', level: 'info' });
  });
});
