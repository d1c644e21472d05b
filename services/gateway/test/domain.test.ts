import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { AppError, ValidationError } from '@xauth/shared';
import { ClientAuthenticator, type ApiClient } from '../src/domain/client-authenticator.js';
import { parseApiKey, parseBasicAuth, parseBearer, tokenRequestCredentials } from '../src/domain/credentials.rule.js';
import { grantScopes, hasScope } from '../src/domain/scopes.rule.js';
import { SecretCheckGate } from '../src/domain/secret-check-gate.js';
import { SCRYPT_MEMORY_BYTES, hashSecret, needsRehash, verifySecret } from '../src/domain/secret-hash.rule.js';
import { InvalidTokenError, ServiceTokens } from '../src/domain/service-token.js';
import { generateSigningKey, keyId } from '../src/domain/signing-key.rule.js';

const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('gateway domain: scopes', () => {
  it('when no scope is asked for, then the client gets all of its scopes', () => {
    expect(grantScopes(['jobs:read', 'tokens:read'], undefined)).to.deep.equal(['jobs:read', 'tokens:read']);
    expect(grantScopes(['jobs:read'], '  ')).to.deep.equal(['jobs:read']);
  });

  it('when a subset is asked for, then only that subset (deduplicated)', () => {
    expect(grantScopes(['jobs:read', 'tokens:read'], 'tokens:read tokens:read')).to.deep.equal(['tokens:read']);
  });

  it('when a scope outside the client is asked for, then INVALID_SCOPE naming it', () => {
    expect(() => grantScopes(['jobs:read'], 'jobs:read dlq:admin'))
      .to.throw(AppError, 'dlq:admin')
      .with.property('code', 'INVALID_SCOPE');
  });

  it('when checking a route scope, then only an exact scope counts', () => {
    expect(hasScope(['jobs:read'], 'jobs:read')).to.equal(true);
    expect(hasScope(['jobs:read'], 'tokens:read')).to.equal(false);
  });
});

describe('gateway domain: credentials parsing', () => {
  it('when an API key is <clientId>.<secret>, then it splits at the first dot (secrets may hold dots)', () => {
    expect(parseApiKey('svc-a.s3cr.et')).to.deep.equal({ clientId: 'svc-a', clientSecret: 's3cr.et' });
    expect(parseApiKey('no-dot')).to.equal(undefined);
    expect(parseApiKey('.secret')).to.equal(undefined);
    expect(parseApiKey('bad id.secret')).to.equal(undefined);
    expect(parseApiKey('svc.')).to.equal(undefined);
  });

  it('when Basic credentials are form-encoded (RFC 6749 2.3.1), then they are decoded', () => {
    expect(parseBasicAuth(basic('svc-a:p%40ss+word'))).to.deep.equal({ clientId: 'svc-a', clientSecret: 'p@ss word' });
    expect(parseBasicAuth(basic('no-colon'))).to.equal(null);
    expect(parseBasicAuth('Basic !!!')).to.equal(null);
    expect(parseBasicAuth('Bearer abc')).to.equal(undefined);
    expect(parseBasicAuth(undefined)).to.equal(undefined);
  });

  it('when a Bearer header is parsed, then only the token of that scheme is taken', () => {
    expect(parseBearer('Bearer a.b.c')).to.equal('a.b.c');
    expect(parseBearer('bearer a.b.c')).to.equal('a.b.c');
    expect(parseBearer('Basic abc')).to.equal(undefined);
    expect(parseBearer('Bearer ')).to.equal(undefined);
  });

  it('when a token request uses Basic and a body secret together, then it is refused; a disagreeing client_id yields no credentials', () => {
    expect(() => tokenRequestCredentials(basic('a:b'), { client_secret: 'b' })).to.throw(ValidationError);
    expect(tokenRequestCredentials(basic('a:b'), { client_id: 'other' }).credentials).to.equal(undefined);
    expect(tokenRequestCredentials(basic('a:b'), { client_id: 'a' })).to.deep.equal({ credentials: { clientId: 'a', clientSecret: 'b' }, viaBasic: true });
    expect(tokenRequestCredentials(undefined, { client_id: 'a' })).to.deep.equal({ credentials: undefined, viaBasic: false });
  });
});

describe('gateway domain: secret hashes', () => {
  it('when a secret is hashed twice, then the salts differ and both verify; a wrong secret does not', async () => {
    const [a, b] = await Promise.all([hashSecret('s3cret'), hashSecret('s3cret')]);
    // OWASP's scrypt minimum: N=2^17, r=8, p=1, 128 MiB.
    expect(a).to.match(/^scrypt\$131072\$8\$1\$/);
    expect(SCRYPT_MEMORY_BYTES).to.equal(128 * 2 ** 20);
    expect(a).to.not.equal(b);
    expect(a).to.not.contain('s3cret');
    expect(await verifySecret('s3cret', a)).to.equal(true);
    expect(await verifySecret('s3cret', b)).to.equal(true);
    expect(await verifySecret('s3cret!', a)).to.equal(false);
  });

  it('when a hash was made with weaker parameters, then it verifies with its own, and a successful login replaces it with the current ones', async () => {
    const weak = await hashSecret('legacy-secret', { N: 16_384, r: 8, p: 1 });
    expect(needsRehash(weak)).to.equal(true);
    expect(await verifySecret('legacy-secret', weak)).to.equal(true);
    const client: ApiClient = {
      clientId: 'legacy',
      secretHash: weak,
      name: 'legacy',
      scopes: ['jobs:read'],
      apps: null,
      createdAt: new Date(),
      updatedAt: new Date(),
      disabledAt: null,
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      managedBy: 'bootstrap',
      tokenVersion: 0,
    };
    const rehashed: string[] = [];
    const auth = new ClientAuthenticator({
      findById: async () => ({ ...client }),
      rehash: async (_id, previous, fresh) => {
        if (previous !== client.secretHash) return false;
        client.secretHash = fresh;
        rehashed.push(fresh);
        return true;
      },
    });
    expect(await auth.authenticate({ clientId: 'legacy', clientSecret: 'wrong-secret' })).to.equal(undefined);
    expect(rehashed, 'a failed login rehashes nothing').to.deep.equal([]);
    expect(await auth.authenticate({ clientId: 'legacy', clientSecret: 'legacy-secret' })).to.not.equal(undefined);
    expect(rehashed).to.have.length(1);
    expect(client.secretHash).to.match(/^scrypt\$131072\$8\$1\$/);
    expect(needsRehash(client.secretHash)).to.equal(false);
    expect(await verifySecret('legacy-secret', client.secretHash)).to.equal(true);
    expect(await auth.authenticate({ clientId: 'legacy', clientSecret: 'legacy-secret' })).to.not.equal(undefined);
    expect(rehashed, 'a current hash is not rehashed again').to.have.length(1);
  });

  it('when more secret checks come than run and wait at once, then the excess is refused with 503 AUTH_BUSY and the rest run in turn', async () => {
    const gate = new SecretCheckGate(1, 1);
    let running = 0,
      maxRunning = 0;
    const releases: Array<() => void> = [];
    const check = () =>
      gate.run(async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return 'ok';
      });
    const first = check();
    const second = check();
    const refused = await check().catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(AppError);
    expect((refused as AppError).code).to.equal('AUTH_BUSY');
    expect((refused as AppError).httpStatus).to.equal(503);
    expect(gate.load).to.deep.equal({ running: 1, waiting: 1 });
    releases.shift()!();
    expect(await first).to.equal('ok');
    await new Promise((r) => setImmediate(r));
    releases.shift()!();
    expect(await second).to.equal('ok');
    expect(maxRunning).to.equal(1);
    expect(gate.load).to.deep.equal({ running: 0, waiting: 0 });
  });

  it('when the stored hash is malformed, then nothing verifies', async () => {
    expect(await verifySecret('x', 'plain-text')).to.equal(false);
    expect(await verifySecret('x', 'scrypt$abc$8$1$c2FsdA$aGFzaA')).to.equal(false);
  });

  it('when a client is disabled or its secret changes, then a remembered success no longer counts', async () => {
    const client: ApiClient = {
      clientId: 'svc',
      secretHash: await hashSecret('first-secret'),
      name: 'svc',
      scopes: ['jobs:read'],
      apps: null,
      createdAt: new Date(),
      updatedAt: new Date(),
      disabledAt: null,
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      managedBy: 'bootstrap',
      tokenVersion: 0,
    };
    const auth = new ClientAuthenticator({ findById: async (id) => (id === client.clientId ? { ...client } : undefined) });
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'first-secret' })).to.deep.equal({
      clientId: 'svc',
      scopes: ['jobs:read'],
      tokenVersion: 0,
    });
    client.secretHash = await hashSecret('second-secret');
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'first-secret' })).to.equal(undefined);
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'second-secret' })).to.not.equal(undefined);
    client.disabledAt = new Date();
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'second-secret' })).to.equal(undefined);
  });

  it('when a secret was rotated, then the previous one works until its overlap ends, and the new one all along', async () => {
    const client: ApiClient = {
      clientId: 'svc',
      secretHash: await hashSecret('new-secret'),
      name: 'svc',
      scopes: ['jobs:read'],
      apps: null,
      createdAt: new Date(),
      updatedAt: new Date(),
      disabledAt: null,
      previousSecretHash: await hashSecret('old-secret'),
      previousSecretExpiresAt: new Date(Date.now() + 60_000),
      managedBy: 'operator',
      tokenVersion: 2,
    };
    const auth = new ClientAuthenticator({ findById: async () => ({ ...client }) });
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'old-secret' })).to.deep.equal({ clientId: 'svc', scopes: ['jobs:read'], tokenVersion: 2 });
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'new-secret' })).to.not.equal(undefined);
    client.previousSecretExpiresAt = new Date(Date.now() - 1);
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'old-secret' }), 'remembered, yet past the overlap').to.equal(undefined);
    expect(await auth.authenticate({ clientId: 'svc', clientSecret: 'new-secret' })).to.not.equal(undefined);
  });
});

describe('gateway domain: service tokens', () => {
  const settings = { issuer: 'xauth', audience: 'xauth-api', ttlSeconds: 60 };
  const key = generateSigningKey();
  const tokens = ServiceTokens.withKey(settings, { kid: keyId(key), privateKey: key });

  it('when a token is issued, then it verifies back to the client and its scopes', () => {
    const { token } = tokens.issue('svc', ['jobs:read', 'tokens:read']);
    expect(tokens.verify(token)).to.deep.equal({ clientId: 'svc', scopes: ['jobs:read', 'tokens:read'], via: 'jwt', tokenVersion: 0 });
  });

  it('when a token is unsigned (alg none), then it is refused', () => {
    const unsigned = jwt.sign({ scope: 'jobs:read', sub: 'svc', iss: 'xauth', aud: 'xauth-api' }, null, {
      algorithm: 'none',
      keyid: tokens.activeKid,
      expiresIn: 60,
    });
    expect(() => tokens.verify(unsigned)).to.throw(InvalidTokenError);
  });

  it('when a token names an unknown kid or is not a JWT, then it is refused', () => {
    const other = generateSigningKey();
    const foreign = jwt.sign({ scope: 'jobs:read' }, other, {
      algorithm: 'ES256',
      keyid: keyId(other),
      issuer: 'xauth',
      audience: 'xauth-api',
      subject: 'svc',
      expiresIn: 60,
    });
    expect(() => tokens.verify(foreign)).to.throw(InvalidTokenError, 'unknown key');
    expect(() => tokens.verify('not-a-jwt')).to.throw(InvalidTokenError);
  });

  it('when a remembered token passes its exp, then it is refused as expired', () => {
    let now = Date.now();
    const clocked = ServiceTokens.withKey(settings, { kid: keyId(key), privateKey: key }, () => now);
    const { token } = clocked.issue('svc', ['tokens:read']);
    expect(clocked.verify(token).clientId).to.equal('svc');
    now += 30_000;
    expect(clocked.verify(token).clientId).to.equal('svc');
    now += settings.ttlSeconds * 1000; // past exp and past the 5 s clock tolerance
    expect(() => clocked.verify(token)).to.throw(InvalidTokenError, 'token expired');
    expect(() => clocked.verify(token)).to.throw(InvalidTokenError, 'token expired');
  });

  it('when tokens are remembered, then one signed by an unknown key or with a changed signature is still refused', () => {
    const { token } = tokens.issue('svc', ['tokens:read']);
    expect(tokens.verify(token).clientId).to.equal('svc');
    const other = generateSigningKey();
    const sameKid = jwt.sign({ scope: 'tokens:read' }, other, {
      algorithm: 'ES256',
      keyid: tokens.activeKid,
      issuer: 'xauth',
      audience: 'xauth-api',
      subject: 'svc',
      expiresIn: 60,
    });
    expect(() => tokens.verify(sameKid)).to.throw(InvalidTokenError, 'token is invalid');
    const foreign = jwt.sign({ scope: 'tokens:read' }, other, {
      algorithm: 'ES256',
      keyid: keyId(other),
      issuer: 'xauth',
      audience: 'xauth-api',
      subject: 'svc',
      expiresIn: 60,
    });
    expect(() => tokens.verify(foreign)).to.throw(InvalidTokenError, 'unknown key');
    const [header, payload, signature] = token.split('.');
    const flipped = `${header}.${payload}.${signature!.slice(0, -4)}${signature!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(() => tokens.verify(flipped)).to.throw(InvalidTokenError);
    expect(tokens.verify(token).clientId).to.equal('svc');
  });

  it('when the same key is seen twice, then its kid is the same (RFC 7638 thumbprint)', () => {
    expect(keyId(key)).to.equal(keyId(key));
    expect(keyId(key)).to.not.equal(keyId(generateSigningKey()));
    expect(tokens.jwks().keys).to.have.length(1);
    expect(tokens.jwks().keys[0]).to.not.have.property('d');
  });
});
