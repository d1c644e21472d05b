import { createHmac, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { keyId } from '../src/domain/signing-key.rule.js';
import type { RunningGateway } from '../src/start.js';
import { bearer, serviceToken, startGatewayWithStub, testNamespace } from './helpers.js';

const WRITER = { clientId: 'writer', clientSecret: 'writer-secret-0123456789', scopes: ['logins:write'] };
const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['jobs:read', 'tokens:read'] };

interface ErrorJson {
  code: string;
  message: string;
  requestId: string;
}

describe('gateway: authentication and scopes on /v1', () => {
  const namespace = testNamespace();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const kid = keyId(privateKey);
  let gateway: RunningGateway;
  let stop: (() => Promise<void>) | undefined;
  const jobId = randomUUID();

  before(async () => {
    ({ gateway, stop } = await startGatewayWithStub(namespace, jobId, {
      BOOTSTRAP_CLIENTS: JSON.stringify([WRITER, READER]),
      JWT_PRIVATE_KEY_PEM: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    }));
  });
  after(async () => {
    await stop?.();
  });

  const jobUrl = () => `${gateway.url}/v1/jobs/${jobId}`;
  /** A token the way the gateway would sign it, with overrides, signed by `key`. */
  const craft = (key: KeyObject, claims: Record<string, unknown> = {}, opts: jwt.SignOptions = {}) =>
    jwt.sign({ scope: 'jobs:read', iat: Math.floor(Date.now() / 1000), ...claims }, key, {
      algorithm: 'ES256',
      keyid: kid,
      issuer: 'xauth',
      audience: 'xauth-api',
      subject: 'reader',
      ...(claims.exp === undefined ? { expiresIn: 60 } : {}),
      ...opts,
    });

  async function expectUnauthenticated(res: Response, message?: RegExp): Promise<void> {
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
    const body = (await res.json()) as ErrorJson;
    expect(body.code).to.equal('UNAUTHENTICATED');
    expect(body.requestId).to.equal(res.headers.get('x-request-id'));
    if (message) expect(body.message).to.match(message);
  }

  it('when a /v1 request carries no credentials, then 401 UNAUTHENTICATED as JSON with WWW-Authenticate: Bearer', async () => {
    await expectUnauthenticated(await fetch(jobUrl()), /authentication required/);
  });

  it('when a valid JWT lacks the route scope, then 403 FORBIDDEN naming the scope', async () => {
    const token = await serviceToken(gateway.url, WRITER.clientId, WRITER.clientSecret);
    const res = await fetch(`${gateway.url}/v1/accounts/alice_x/token`, { headers: bearer(token) });
    expect(res.status).to.equal(403);
    const body = (await res.json()) as ErrorJson;
    expect(body).to.deep.equal({ code: 'FORBIDDEN', message: 'requires scope tokens:read', requestId: res.headers.get('x-request-id') });
  });

  it('when a valid JWT holds the route scope, then the request goes through', async () => {
    const token = await serviceToken(gateway.url, READER.clientId, READER.clientSecret);
    const res = await fetch(jobUrl(), { headers: bearer(token) });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { jobId: string }).jobId).to.equal(jobId);
  });

  it('when JWT_PRIVATE_KEY_PEM is set, then tokens are signed with it under its RFC 7638 kid, and the JWKS publishes it', async () => {
    const token = await serviceToken(gateway.url, READER.clientId, READER.clientSecret);
    expect(jwt.decode(token, { complete: true })!.header.kid).to.equal(kid);
    jwt.verify(token, createPublicKey(privateKey), { algorithms: ['ES256'] });
    const { keys } = (await (await fetch(`${gateway.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(keys.map((k) => k.kid)).to.deep.equal([kid]);
  });

  it('when the JWT has expired, then 401 saying so', async () => {
    const expired = craft(privateKey, { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 60 });
    await expectUnauthenticated(await fetch(jobUrl(), { headers: bearer(expired) }), /expired/);
  });

  it('when the JWT is signed by another key under our kid, then 401', async () => {
    const forged = craft(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    await expectUnauthenticated(await fetch(jobUrl(), { headers: bearer(forged) }), /invalid/);
  });

  it('when the JWT is ours but for another audience or issuer, then 401', async () => {
    await expectUnauthenticated(await fetch(jobUrl(), { headers: bearer(craft(privateKey, {}, { audience: 'someone-else' })) }));
    await expectUnauthenticated(await fetch(jobUrl(), { headers: bearer(craft(privateKey, {}, { issuer: 'someone-else' })) }));
  });

  it('when the JWT names HS256 and is keyed with our public key, then 401 (the algorithm is pinned)', async () => {
    const publicPem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(JSON.stringify({ sub: 'reader', scope: 'jobs:read', iss: 'xauth', aud: 'xauth-api', iat: now, exp: now + 60 })).toString(
      'base64url',
    );
    const sig = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
    await expectUnauthenticated(await fetch(jobUrl(), { headers: bearer(`${header}.${payload}.${sig}`) }));
  });

  it('when the Authorization header is not a Bearer token, then 401', async () => {
    await expectUnauthenticated(await fetch(jobUrl(), { headers: { authorization: 'Token abc' } }));
  });

  it('when X-API-Key is <clientId>.<secret>, then the request acts as that client with all its scopes', async () => {
    const res = await fetch(jobUrl(), { headers: { 'x-api-key': `${READER.clientId}.${READER.clientSecret}` } });
    expect(res.status).to.equal(200);
    const again = await fetch(jobUrl(), { headers: { 'x-api-key': `${READER.clientId}.${READER.clientSecret}` } });
    expect(again.status).to.equal(200);
    const denied = await fetch(jobUrl(), { headers: { 'x-api-key': `${WRITER.clientId}.${WRITER.clientSecret}` } });
    expect(denied.status).to.equal(403);
  });

  it('when X-API-Key has a wrong secret or no dot, then 401', async () => {
    await expectUnauthenticated(await fetch(jobUrl(), { headers: { 'x-api-key': `${READER.clientId}.wrong-secret` } }), /API key/);
    await expectUnauthenticated(await fetch(jobUrl(), { headers: { 'x-api-key': 'garbage' } }), /API key/);
  });
});

describe('gateway: per-client rate limit', () => {
  const namespace = testNamespace();
  let gateway: RunningGateway;
  let stop: (() => Promise<void>) | undefined;
  const jobId = randomUUID();

  before(async () => {
    ({ gateway, stop } = await startGatewayWithStub(namespace, jobId, { RATE_LIMIT_PER_MINUTE: '3', BOOTSTRAP_CLIENTS: JSON.stringify([WRITER, READER]) }));
  });
  after(async () => {
    await stop?.();
  });

  it('when a client goes over RATE_LIMIT_PER_MINUTE, then 429 RATE_LIMITED with Retry-After, and other clients are unaffected', async () => {
    const reader = await serviceToken(gateway.url, READER.clientId, READER.clientSecret);
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${gateway.url}/v1/jobs/${jobId}`, { headers: bearer(reader) })).status).to.equal(200);
    }
    const limited = await fetch(`${gateway.url}/v1/jobs/${jobId}`, { headers: bearer(reader) });
    expect(limited.status).to.equal(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    const body = (await limited.json()) as ErrorJson;
    expect(body.code).to.equal('RATE_LIMITED');
    expect(body.requestId).to.equal(limited.headers.get('x-request-id'));

    const writer = await serviceToken(gateway.url, WRITER.clientId, WRITER.clientSecret);
    const other = await fetch(`${gateway.url}/v1/jobs/${jobId}`, { headers: bearer(writer) });
    expect(other.status).to.equal(403); // through the limiter, stopped only by its missing scope
  });
});
