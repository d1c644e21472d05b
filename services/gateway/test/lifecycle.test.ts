import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { devBrokerPassword } from '@xauth/contracts';
import { ConfigError, DEV_ENCRYPTION_KEYS, Keyring, parseConfig } from '@xauth/shared';
import { gatewayConfigShape } from '../src/config.js';
import { startGateway, type RunningGateway } from '../src/start.js';
import {
  SERVICE_AMQP_URL,
  DATABASE_URL,
  bearer,
  capturingLogger,
  cleanupNamespace,
  gatewayConfig,
  postJson,
  sampleJob,
  serviceToken,
  startOrchestratorStub,
  testNamespace,
  type OrchestratorStub,
} from './helpers.js';

const READER = { clientId: 'reader', clientSecret: 'reader-secret-0123456789', scopes: ['jobs:read'] };
const PRODUCTION = {
  NODE_ENV: 'production',
  ENCRYPTION_KEYS: Keyring.generateSpec('k1'),
  INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR: 'prod-gateway-orchestrator-0123',
  INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS: 'prod-gateway-dead-letters-0123',
  INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER: 'prod-gateway-browser-worker-0123',
  // Production has no default broker password; this machine's broker knows the development one.
  AMQP_PASSWORD: devBrokerPassword('gateway'),
};

async function startFailure(promise: Promise<RunningGateway>): Promise<Error> {
  try {
    const started = await promise;
    await started.stop();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the gateway started');
}

async function jwksKids(url: string): Promise<string[]> {
  const { keys } = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
  return keys.map((k) => k.kid);
}

describe('gateway: production refuses development defaults', () => {
  const namespace = testNamespace();
  after(() => cleanupNamespace(namespace));

  it('when NODE_ENV is unset and the dev internal secrets and keyring are kept, then the start fails naming each variable', async () => {
    const config = parseConfig(gatewayConfigShape, { XAUTH_NAMESPACE: namespace, HTTP_PORT: '0', DATABASE_URL, AMQP_URL: SERVICE_AMQP_URL });
    expect(config.NODE_ENV).to.equal('production');
    const err = await startFailure(startGateway(config, { logger: capturingLogger().logger }));
    expect(err).to.be.instanceOf(ConfigError);
    for (const name of [
      'INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR',
      'INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS',
      'INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER',
      'ENCRYPTION_KEYS',
    ])
      expect(err.message).to.contain(name);
  });

  it('when NODE_ENV=production lists the development key second in ENCRYPTION_KEYS, then the start fails naming ENCRYPTION_KEYS', async () => {
    const config = parseConfig(gatewayConfigShape, {
      ...PRODUCTION,
      ENCRYPTION_KEYS: `${Keyring.generateSpec('k2')},old:${DEV_ENCRYPTION_KEYS.split(':')[1]}`,
      XAUTH_NAMESPACE: namespace,
      HTTP_PORT: '0',
      DATABASE_URL,
      AMQP_URL: SERVICE_AMQP_URL,
    });
    const err = await startFailure(startGateway(config, { logger: capturingLogger().logger }));
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.contain('ENCRYPTION_KEYS').and.not.to.contain('INTERNAL_TOKEN');
  });

  it('when NODE_ENV=production has no BOOTSTRAP_CLIENTS and no client exists, then the start fails naming BOOTSTRAP_CLIENTS', async () => {
    const err = await startFailure(startGateway(gatewayConfig(namespace, PRODUCTION), { logger: capturingLogger().logger }));
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.contain('BOOTSTRAP_CLIENTS');
  });

  it('when NODE_ENV=production has real settings, then it starts without the development client', async () => {
    const gateway = await startGateway(gatewayConfig(namespace, { ...PRODUCTION, BOOTSTRAP_CLIENTS: JSON.stringify([READER]) }), {
      logger: capturingLogger().logger,
    });
    try {
      const dev = await postJson(`${gateway.url}/v1/oauth/token`, {
        grant_type: 'client_credentials',
        client_id: 'dev-admin',
        client_secret: 'dev-admin-secret',
      });
      expect(dev.status).to.equal(401);
      expect(await serviceToken(gateway.url, READER.clientId, READER.clientSecret)).to.be.a('string');
    } finally {
      await gateway.stop();
    }
  });

  it('when ENCRYPTION_KEYS no longer holds the key that encrypted the stored signing key, then the start fails naming it', async () => {
    const err = await startFailure(startGateway(gatewayConfig(namespace), { logger: capturingLogger().logger }));
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.contain('ENCRYPTION_KEYS').and.to.contain('"k1"');
  });

  it('when a production start finds the development client from an earlier dev run, then it refuses until its secret is replaced', async () => {
    const dev = await startGateway(gatewayConfig(namespace, { ENCRYPTION_KEYS: PRODUCTION.ENCRYPTION_KEYS }), { logger: capturingLogger().logger });
    await dev.stop();
    const err = await startFailure(
      startGateway(gatewayConfig(namespace, { ...PRODUCTION, BOOTSTRAP_CLIENTS: JSON.stringify([READER]) }), { logger: capturingLogger().logger }),
    );
    expect(err.message).to.contain('BOOTSTRAP_CLIENTS').and.to.contain('dev-admin');
    const rotated = { clientId: 'dev-admin', clientSecret: 'a-new-production-secret', scopes: ['jobs:read'] };
    const gateway = await startGateway(gatewayConfig(namespace, { ...PRODUCTION, BOOTSTRAP_CLIENTS: JSON.stringify([rotated]) }), {
      logger: capturingLogger().logger,
    });
    await gateway.stop();
  });
});

describe('gateway: config errors name the variable', () => {
  it('when BOOTSTRAP_CLIENTS is malformed, then the error names it without echoing the secret', () => {
    const secret = 'do-not-print-this-secret';
    expect(() => gatewayConfig('test-x', { BOOTSTRAP_CLIENTS: JSON.stringify([{ clientId: 'a', clientSecret: secret, scopes: ['nope'] }]) }))
      .to.throw(ConfigError, /BOOTSTRAP_CLIENTS: .*scopes/)
      .with.property('message')
      .that.does.not.contain(secret);
    expect(() => gatewayConfig('test-x', { BOOTSTRAP_CLIENTS: '[{' })).to.throw(ConfigError, /BOOTSTRAP_CLIENTS: must be a JSON array/);
  });

  it('when JWT_PRIVATE_KEY_PEM is not an EC P-256 key, then the error names it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => gatewayConfig('test-x', { JWT_PRIVATE_KEY_PEM: rsa })).to.throw(ConfigError, /JWT_PRIVATE_KEY_PEM: must be an EC P-256/);
    expect(() => gatewayConfig('test-x', { JWT_PRIVATE_KEY_PEM: 'garbage' })).to.throw(ConfigError, /JWT_PRIVATE_KEY_PEM: must be a PKCS8 PEM/);
  });

  it('when ENCRYPTION_KEYS is malformed, then the error names it', () => {
    expect(() => gatewayConfig('test-x', { ENCRYPTION_KEYS: 'k1:short' })).to.throw(ConfigError, /ENCRYPTION_KEYS/);
  });
});

describe('gateway: the signing key is generated once and shared', () => {
  const namespace = testNamespace();
  let stub: OrchestratorStub;
  const jobId = randomUUID();

  before(async () => {
    stub = await startOrchestratorStub();
    stub.jobs.set(jobId, sampleJob(jobId));
  });
  after(async () => {
    await stub?.close();
    await cleanupNamespace(namespace);
  });

  const config = () => gatewayConfig(namespace, { ORCHESTRATOR_URL: stub.url, BOOTSTRAP_CLIENTS: JSON.stringify([READER]) });

  it('when two replicas start together on an empty schema, then they publish one and the same key', async () => {
    const [a, b] = await Promise.all([
      startGateway(config(), { logger: capturingLogger().logger }),
      startGateway(config(), { logger: capturingLogger().logger }),
    ]);
    try {
      const [kidsA, kidsB] = await Promise.all([jwksKids(a.url), jwksKids(b.url)]);
      expect(kidsA).to.have.length(1);
      expect(kidsB).to.deep.equal(kidsA);
      const fromA = await serviceToken(a.url, READER.clientId, READER.clientSecret);
      expect((await fetch(`${b.url}/v1/jobs/${jobId}`, { headers: bearer(fromA) })).status).to.equal(200);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('when the gateway restarts, then a token issued before still verifies and new tokens use the same kid', async () => {
    const first = await startGateway(config(), { logger: capturingLogger().logger });
    let before: string;
    let kidsBefore: string[];
    try {
      before = await serviceToken(first.url, READER.clientId, READER.clientSecret);
      kidsBefore = await jwksKids(first.url);
    } finally {
      await first.stop();
    }
    const second = await startGateway(config(), { logger: capturingLogger().logger });
    try {
      expect(await jwksKids(second.url)).to.deep.equal(kidsBefore);
      const res = await fetch(`${second.url}/v1/jobs/${jobId}`, { headers: bearer(before) });
      expect(res.status).to.equal(200);
      const after = await serviceToken(second.url, READER.clientId, READER.clientSecret);
      expect(jwt.decode(after, { complete: true })!.header.kid).to.equal(jwt.decode(before, { complete: true })!.header.kid);
    } finally {
      await second.stop();
    }
  });
});
