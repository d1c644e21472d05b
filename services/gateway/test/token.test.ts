import { createPublicKey } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { SERVICE_SCOPES } from '@xauth/contracts';
import { startGateway, type RunningGateway } from '../src/start.js';
import { capturingLogger, cleanupNamespace, gatewayConfig, postJson, testNamespace } from './helpers.js';

const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['jobs:read', 'tokens:read'] };

describe('gateway: POST /v1/oauth/token and the JWKS', () => {
  const namespace = testNamespace();
  const { logger, lines } = capturingLogger();
  let gateway: RunningGateway;
  const issued: string[] = [];

  before(async () => {
    gateway = await startGateway(gatewayConfig(namespace, { BOOTSTRAP_CLIENTS: JSON.stringify([READER]) }), { logger });
  });
  after(async () => {
    await gateway?.stop();
    await cleanupNamespace(namespace);
  });

  const tokenUrl = () => `${gateway.url}/v1/oauth/token`;
  async function grant(res: Response): Promise<{ access_token: string; token_type: string; expires_in: number; scope: string }> {
    expect(res.status, await res.clone().text()).to.equal(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    issued.push(body.access_token);
    return body;
  }

  it('when a client sends its credentials as JSON, then it gets an ES256 JWT with iss, aud, sub, scope, iat, exp, jti and kid', async () => {
    const res = await postJson(tokenUrl(), { grant_type: 'client_credentials', client_id: READER.clientId, client_secret: READER.clientSecret });
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const body = await grant(res);
    expect(body).to.include({ token_type: 'Bearer', expires_in: 900, scope: 'jobs:read tokens:read' });
    const decoded = jwt.decode(body.access_token, { complete: true })!;
    expect(decoded.header.alg).to.equal('ES256');
    expect(decoded.header.kid).to.be.a('string').and.not.empty;
    const claims = decoded.payload as jwt.JwtPayload;
    expect(claims).to.include({ iss: 'xauth', aud: 'xauth-api', sub: 'reader', scope: 'jobs:read tokens:read' });
    expect(claims.exp! - claims.iat!).to.equal(900);
    expect(claims.jti).to.match(/^[0-9a-f-]{36}$/);
  });

  it('when the credentials come form-encoded, then the grant is the same', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: READER.clientId, client_secret: READER.clientSecret });
    const body = await grant(await fetch(tokenUrl(), { method: 'POST', body: form }));
    expect(body.scope).to.equal('jobs:read tokens:read');
  });

  it('when the client authenticates with HTTP Basic, then the grant is the same', async () => {
    const basic = Buffer.from(`${READER.clientId}:${READER.clientSecret}`).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const body = await grant(await fetch(tokenUrl(), { method: 'POST', body: form, headers: { authorization: `Basic ${basic}` } }));
    expect((jwt.decode(body.access_token) as jwt.JwtPayload).sub).to.equal('reader');
  });

  it('when the secret is wrong, then 401 INVALID_CLIENT with a request id', async () => {
    const res = await postJson(tokenUrl(), { grant_type: 'client_credentials', client_id: READER.clientId, client_secret: 'not-the-secret' });
    expect(res.status).to.equal(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).to.include({ code: 'INVALID_CLIENT', requestId: res.headers.get('x-request-id') });
    expect(body.message).to.be.a('string');
  });

  it('when HTTP Basic carries a wrong secret, then 401 INVALID_CLIENT with WWW-Authenticate: Basic', async () => {
    const basic = Buffer.from(`${READER.clientId}:wrong`).toString('base64');
    const res = await fetch(tokenUrl(), {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
      headers: { authorization: `Basic ${basic}` },
    });
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Basic/);
    expect(((await res.json()) as { code: string }).code).to.equal('INVALID_CLIENT');
  });

  it('when the client does not exist, then 401 INVALID_CLIENT', async () => {
    const res = await postJson(tokenUrl(), { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'whatever-secret' });
    expect(res.status).to.equal(401);
    expect(((await res.json()) as { code: string }).code).to.equal('INVALID_CLIENT');
  });

  it('when a scope subset is asked for, then the token carries only that subset', async () => {
    const body = await grant(
      await postJson(tokenUrl(), { grant_type: 'client_credentials', client_id: READER.clientId, client_secret: READER.clientSecret, scope: 'jobs:read' }),
    );
    expect(body.scope).to.equal('jobs:read');
    expect((jwt.decode(body.access_token) as jwt.JwtPayload).scope).to.equal('jobs:read');
  });

  it('when a scope the client lacks is asked for, then 400 INVALID_SCOPE', async () => {
    const res = await postJson(tokenUrl(), {
      grant_type: 'client_credentials',
      client_id: READER.clientId,
      client_secret: READER.clientSecret,
      scope: 'jobs:read logins:write',
    });
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).to.equal('INVALID_SCOPE');
    expect(body.message).to.contain('logins:write');
  });

  it('when grant_type is missing, then 400 VALIDATION_FAILED naming it', async () => {
    const res = await postJson(tokenUrl(), { client_id: READER.clientId, client_secret: READER.clientSecret });
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { code: string; details: Array<{ path: string }> };
    expect(body.code).to.equal('VALIDATION_FAILED');
    expect(body.details.map((d) => d.path)).to.include('grant_type');
  });

  it('when the issued JWT is checked against the published JWKS, then it verifies with ES256', async () => {
    const token = await grant(await postJson(tokenUrl(), { grant_type: 'client_credentials', client_id: READER.clientId, client_secret: READER.clientSecret }));
    const res = await fetch(`${gateway.url}/.well-known/jwks.json`);
    expect(res.status).to.equal(200);
    const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
    const kid = jwt.decode(token.access_token, { complete: true })!.header.kid;
    const jwk = keys.find((k) => k.kid === kid);
    expect(jwk).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk).to.not.have.property('d');
    const publicKey = createPublicKey({ key: jwk!, format: 'jwk' });
    const claims = jwt.verify(token.access_token, publicKey, { algorithms: ['ES256'], issuer: 'xauth', audience: 'xauth-api' }) as jwt.JwtPayload;
    expect(claims.sub).to.equal('reader');
  });

  it('when NODE_ENV is not production, then the development client has every scope and a warning says so', async () => {
    const body = await grant(await postJson(tokenUrl(), { grant_type: 'client_credentials', client_id: 'dev-admin', client_secret: 'dev-admin-secret' }));
    expect(body.scope.split(' ')).to.have.members([...SERVICE_SCOPES]);
    expect(lines.some((l) => JSON.parse(l).level === 'warn' && l.includes('dev-admin'))).to.equal(true);
  });

  it('when all of this was logged, then no secret or issued token appears in the logs', () => {
    const all = lines.join('\n');
    expect(issued.length).to.be.greaterThan(3);
    for (const token of issued) expect(all).to.not.contain(token);
    expect(all).to.not.contain(READER.clientSecret);
    expect(all).to.not.contain('dev-admin-secret');
  });
});
