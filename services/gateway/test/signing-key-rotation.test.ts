import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import type { SigningKeyList, SigningKeyRotation } from '@xauth/contracts';
import { startGateway, type RunningGateway } from '../src/start.js';
import { bearer, capturingLogger, cleanupNamespace, gatewayConfig, serviceToken, testNamespace, waitFor } from './helpers.js';

const ADMIN = { clientId: 'ops', clientSecret: 'ops-secret-0123456789', scopes: ['clients:admin'] };

const kidOf = (token: string) => jwt.decode(token, { complete: true })!.header.kid!;
const jwksKids = async (g: RunningGateway) =>
  ((await (await fetch(`${g.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
const statusWith = async (g: RunningGateway, token: string) => (await fetch(`${g.url}/v1/keys/signing`, { headers: bearer(token) })).status;

describe('gateway: signing key rotation across two replicas', () => {
  const namespace = testNamespace();
  // JWKS cached 1 s, keys reloaded every 200 ms: a rotated key is published 2 s before it signs;
  // tokens live 3 s, so the old key retires 3 s + 6 s (tolerance and a reload) after the switch.
  const env = { BOOTSTRAP_CLIENTS: JSON.stringify([ADMIN]), JWKS_MAX_AGE_SECONDS: '1', SIGNING_KEYS_RELOAD_MS: '200', JWT_TTL_SECONDS: '3' };
  let a: RunningGateway;
  let b: RunningGateway;

  before(async () => {
    a = await startGateway(gatewayConfig(namespace, env), { logger: capturingLogger().logger });
    b = await startGateway(gatewayConfig(namespace, env), { logger: capturingLogger().logger });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    await cleanupNamespace(namespace);
  });

  it("when the key is rotated on one replica, then both publish the next key before it signs, switch to it, and verify the old key's tokens until they expire", async () => {
    const oldToken = await serviceToken(a.url, ADMIN.clientId, ADMIN.clientSecret);
    const oldKid = kidOf(oldToken);
    expect(await jwksKids(b)).to.deep.equal([oldKid]);

    const rotated = await fetch(`${a.url}/v1/keys/signing/rotate`, { method: 'POST', headers: bearer(oldToken) });
    expect(rotated.status).to.equal(200);
    const { next, previous } = (await rotated.json()) as SigningKeyRotation;
    expect([next.state, previous?.kid, previous?.state]).to.deep.equal(['next', oldKid, 'active']);
    const activatesAt = Date.parse(next.activatesAt);
    expect(Date.parse(previous!.retiresAt!)).to.be.greaterThan(activatesAt + 3_000);

    // The other replica publishes the next key after one reload; until its activation, tokens are still signed by the old one.
    await waitFor(async () => ((await jwksKids(b)).includes(next.kid) ? true : undefined), "the next key in the other replica's JWKS");
    expect(await jwksKids(b)).to.include(oldKid);
    const issuedAt = Date.now();
    const meanwhile = await serviceToken(b.url, ADMIN.clientId, ADMIN.clientSecret);
    if (issuedAt < activatesAt - 500) expect(kidOf(meanwhile), 'published, not signing yet').to.equal(oldKid);
    expect(
      ((await (await fetch(`${b.url}/v1/keys/signing`, { headers: bearer(oldToken) })).json()) as SigningKeyList).keys.map((k) => k.state),
    ).to.include.members(['next', 'active']);

    // From its activation, both replicas sign with the new key; the old key's live tokens still verify on both.
    const signedByNew = await waitFor(
      async () => {
        const t = await serviceToken(b.url, ADMIN.clientId, ADMIN.clientSecret);
        return kidOf(t) === next.kid ? t : undefined;
      },
      'tokens signed by the new key',
      10_000,
    );
    expect(Date.now()).to.be.at.least(activatesAt - 1_000);
    expect(kidOf(await serviceToken(a.url, ADMIN.clientId, ADMIN.clientSecret))).to.equal(next.kid);
    const lastOld = meanwhile;
    expect([await statusWith(a, lastOld), await statusWith(b, lastOld), await statusWith(b, signedByNew)]).to.deep.equal([200, 200, 200]);

    // The old key's last token expires on its own; then the old key retires from both JWKS.
    await waitFor(async () => ((await statusWith(b, lastOld)) === 401 ? true : undefined), "the old key's last token to expire", 10_000);
    await waitFor(
      async () => (!(await jwksKids(a)).includes(oldKid) && !(await jwksKids(b)).includes(oldKid) ? true : undefined),
      'the old key to retire',
      20_000,
    );
    const fresh = await serviceToken(a.url, ADMIN.clientId, ADMIN.clientSecret);
    expect(kidOf(fresh)).to.equal(next.kid);
    const list = (await (await fetch(`${a.url}/v1/keys/signing`, { headers: bearer(fresh) })).json()) as SigningKeyList;
    expect(list.keys.map((k) => [k.kid, k.state])).to.deep.equal([
      [next.kid, 'active'],
      [oldKid, 'retired'],
    ]);
    expect(await statusWith(b, fresh)).to.equal(200);
  });

  it('when a rotation is asked for while the next key waits to activate, then 409 SIGNING_KEY_ROTATION_REFUSED', async () => {
    const token = await serviceToken(a.url, ADMIN.clientId, ADMIN.clientSecret);
    expect((await fetch(`${a.url}/v1/keys/signing/rotate`, { method: 'POST', headers: bearer(token) })).status).to.equal(200);
    const again = await fetch(`${b.url}/v1/keys/signing/rotate`, { method: 'POST', headers: bearer(token) });
    expect(again.status).to.equal(409);
    expect(((await again.json()) as { code: string }).code).to.equal('SIGNING_KEY_ROTATION_REFUSED');
  });
});
