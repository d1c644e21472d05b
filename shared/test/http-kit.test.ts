import { expect } from 'chai';
import { z } from 'zod';
import { ConfigError, consumerConfig, env, parseConfig } from '../src/config.js';
import { AppError } from '../src/errors.js';
import { createHttpApp, finishHttpApp, listen, type RunningServer } from '../src/http/app.js';
import { parseInput } from '../src/http/validate.js';
import { createLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics.js';

describe('http kit', () => {
  let server: RunningServer;
  let ready = true;

  before(async () => {
    const logger = createLogger({ service: 'kit-test', silent: true });
    const metrics = new Metrics('kit-test');
    const app = createHttpApp({ service: 'kit-test', logger, metrics, readiness: { database: () => ready }, bodyLimit: '1kb' });
    app.post('/echo', (req, res) => {
      res.json(parseInput(z.object({ name: z.string().min(2) }), req.body));
    });
    app.get('/boom', () => {
      throw new AppError({ code: 'X_UNAVAILABLE', message: 'X is away', retryable: true, httpStatus: 503, retryAfterMs: 2000 });
    });
    app.get('/crash', () => {
      throw new Error('secret internals');
    });
    finishHttpApp(app, logger);
    server = await listen(app, '127.0.0.1', 0);
  });
  after(async () => {
    await server.close();
  });

  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
  };

  it('when a request arrives, then it gets a request id (its own if valid) echoed in x-request-id', async () => {
    expect((await get('/health')).headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    expect((await get('/health', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).to.equal('abc-123');
  });

  it('when /ready is asked, then it answers per check and 503 while one fails', async () => {
    expect(await get('/ready')).to.deep.include({ status: 200, body: { status: 'ready', service: 'kit-test', checks: { database: true } } });
    ready = false;
    expect((await get('/ready')).status).to.equal(503);
    ready = true;
  });

  it('when errors happen, then every body is {code, message, requestId}; internals never leak', async () => {
    const boom = await get('/boom', { headers: { 'x-request-id': 'r-1' } });
    expect(boom).to.deep.include({ status: 503, body: { code: 'X_UNAVAILABLE', message: 'X is away', requestId: 'r-1' } });
    expect(boom.headers.get('retry-after')).to.equal('2');
    expect((await get('/crash')).body).to.include({ code: 'INTERNAL', message: 'internal error' });
    expect((await get('/nowhere')).body).to.include({ code: 'NOT_FOUND' });
  });

  it('when input is invalid, malformed or too large, then 400/413 with a stable code', async () => {
    const post = (body: string) => get('/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const invalid = await post('{"name":"x"}');
    expect(invalid.status).to.equal(400);
    expect(invalid.body.code).to.equal('VALIDATION_FAILED');
    expect(invalid.body.details[0].path).to.equal('name');
    expect((await post('{oops')).body).to.include({ code: 'VALIDATION_FAILED' });
    expect(await post(JSON.stringify({ name: 'x'.repeat(5000) }))).to.deep.include({ status: 413 });
  });

  it('when /metrics is scraped, then it shows the HTTP RED metrics by route', async () => {
    await get('/health');
    const metrics = await get('/metrics');
    expect(metrics.body).to.match(
      /xauth_http_request_duration_seconds_count\{(?=[^}]*route="\/health")(?=[^}]*status="200")(?=[^}]*service="kit-test")[^}]*\} [1-9]/,
    );
  });
});

describe('config parsing', () => {
  const shape = { PORT: env.port(80, 'listen port'), MODE: z.enum(['a', 'b']).default('a').describe('mode') };

  it('when variables are absent, then defaults apply; when present, they are coerced', () => {
    expect(parseConfig(shape, {})).to.deep.equal({ PORT: 80, MODE: 'a' });
    expect(parseConfig(shape, { PORT: '8080', MODE: 'b' })).to.deep.equal({ PORT: 8080, MODE: 'b' });
  });

  it('when a value is malformed, then the error names each variable and its doc', () => {
    try {
      parseConfig(shape, { PORT: 'eighty', MODE: 'c' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).problems).to.have.length(2);
      expect((err as Error).message)
        .to.match(/PORT: .*\(listen port\)/)
        .and.match(/MODE: .*\(mode\)/);
    }
  });

  it('when MAX_ATTEMPTS names queues, then each gets its budget; an unknown queue or a bad number is refused by name', () => {
    expect(parseConfig(consumerConfig, {}).MAX_ATTEMPTS).to.deep.equal({});
    expect(parseConfig(consumerConfig, { MAX_ATTEMPTS: 'orchestrator.login-requests=8, browser-worker.authorization-jobs=2' }).MAX_ATTEMPTS).to.deep.equal({
      'orchestrator.login-requests': 8,
      'browser-worker.authorization-jobs': 2,
    });
    expect(() => parseConfig(consumerConfig, { MAX_ATTEMPTS: 'orchestrator.logins=8' })).to.throw(
      ConfigError,
      /MAX_ATTEMPTS: "orchestrator.logins=8" is not <work queue>=<1-999>/,
    );
    expect(() => parseConfig(consumerConfig, { MAX_ATTEMPTS: 'orchestrator.login-requests=0' })).to.throw(ConfigError, /MAX_ATTEMPTS/);
  });
});
