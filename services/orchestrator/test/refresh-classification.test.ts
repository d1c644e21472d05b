import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ErrorCodes } from '@xauth/contracts';
import { NeedsOperatorError } from '@xauth/shared';
import { XApiClient } from '../src/data-access/x-api.client.js';
import { AppPauses, refreshBackoffMs, refreshFailureAction } from '../src/domain/refresh-failure.rule.js';

const APP = { name: 'xauth-dev', clientId: 'id', clientSecret: 'secret', redirectUri: 'http://127.0.0.1:9/cb' };

type Answer = (res: ServerResponse) => void;
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

/** A token endpoint that answers the next refresh as told, for the real client to classify. */
describe("refresh failures: only X's word that the refresh token is invalid kills a token", () => {
  let server: Server;
  let answer: Answer = json(200, {});
  let url: string;

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/2/oauth2/token`;
  });
  after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );

  async function actionFor(a: Answer, timeoutMs = 2_000) {
    answer = a;
    const client = new XApiClient({ tokenUrl: url, revokeUrl: url, meUrl: url, timeoutMs });
    const err = await client.refresh(APP, 'rt').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the refresh must fail').to.be.instanceOf(Error);
    return { action: refreshFailureAction(err), code: (err as { code?: string }).code };
  }

  it('when X answers 400 invalid_request "Value passed for the token was invalid.", then the token is killed', async () => {
    expect(await actionFor(json(400, { error: 'invalid_request', error_description: 'Value passed for the token was invalid.' }))).to.deep.equal({
      action: { kind: 'kill' },
      code: ErrorCodes.REFRESH_TOKEN_INVALID,
    });
  });

  it('when X answers 400 invalid_grant, then the token is killed', async () => {
    expect((await actionFor(json(400, { error: 'invalid_grant', error_description: 'Value passed for the token was invalid.' }))).action).to.deep.equal({
      kind: 'kill',
    });
  });

  it('when X calls the request malformed (a missing parameter), then no token is killed', async () => {
    expect((await actionFor(json(400, { error: 'invalid_request', error_description: 'Missing required parameter [refresh_token].' }))).action.kind).to.equal(
      'backoff',
    );
  });

  for (const [what, a] of [
    ['401 unauthorized_client', json(401, { error: 'unauthorized_client', error_description: 'Missing valid authorization header' })],
    ['400 invalid_client', json(400, { error: 'invalid_client', error_description: 'bad client' })],
    ['400 unauthorized_client', json(400, { error: 'unauthorized_client' })],
  ] as const) {
    it(`when X answers ${what}, then it is the app's configuration: APP_CONFIG_INVALID, no token killed`, async () => {
      expect(await actionFor(a)).to.deep.equal({ action: { kind: 'not_the_token' }, code: ErrorCodes.APP_CONFIG_INVALID });
    });
  }

  for (const [what, a] of [
    ['403 from a proxy', json(403, { title: 'Forbidden' })],
    ['404', json(404, { title: 'Not Found' })],
    ['302 to a login page', (res: ServerResponse) => res.writeHead(302, { location: 'https://example.invalid/login' }).end()],
    ['503', json(503, { title: 'Service Unavailable' })],
  ] as const) {
    it(`when X answers ${what}, then the token backs off and lives`, async () => {
      expect((await actionFor(a)).action.kind).to.equal('backoff');
    });
  }

  it('when X answers 429, then the token and the app wait for the reset X names', async () => {
    const reset = Math.floor(Date.now() / 1000) + 60;
    const { action } = await actionFor(json(429, { title: 'Too Many Requests' }, { 'x-rate-limit-reset': String(reset) }));
    expect(action).to.include({ kind: 'backoff', rateLimited: true });
    expect((action as { waitMs: number }).waitMs).to.be.within(50_000, 60_000);
  });

  it('when the connection is refused (the request never left), then the token backs off and lives', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = new XApiClient({ tokenUrl: `http://127.0.0.1:${port}/2/oauth2/token`, revokeUrl: url, meUrl: url, timeoutMs: 2_000 });
    const err = await client.refresh(APP, 'rt').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect([(err as { code?: string }).code, refreshFailureAction(err).kind]).to.deep.equal([ErrorCodes.X_UNAVAILABLE, 'backoff']);
  });

  it('when the request was sent and the answer never came (timeout or dropped connection), then the outcome is unknown, not a kill', async () => {
    expect(await actionFor(() => undefined, 300)).to.deep.equal({ action: { kind: 'outcome_unknown' }, code: ErrorCodes.REFRESH_OUTCOME_UNKNOWN });
    expect(await actionFor((res) => res.socket?.destroy())).to.deep.equal({ action: { kind: 'outcome_unknown' }, code: ErrorCodes.REFRESH_OUTCOME_UNKNOWN });
  });

  it('when the stored refresh token cannot be decrypted, then the token backs off and lives', () => {
    expect(refreshFailureAction(new NeedsOperatorError({ code: ErrorCodes.DECRYPTION_FAILED, message: 'cannot decrypt' })).kind).to.equal('backoff');
  });
});

describe('refresh backoff', () => {
  it('when a token keeps failing, then its wait doubles from the base, is capped, and is jittered within its upper half', () => {
    const policy = { baseMs: 1_000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 40].map((n) => refreshBackoffMs(n, policy, () => 1))).to.deep.equal([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(refreshBackoffMs(3, policy, () => 0)).to.equal(2_000);
  });

  it('when an app is paused, then it is paused until then, and the longer pause wins', () => {
    const pauses = new AppPauses();
    pauses.pause('a', 2_000);
    pauses.pause('a', 1_000);
    expect([pauses.isPaused('a', 1_500), pauses.isPaused('b', 1_500), pauses.paused(1_500), pauses.paused(2_000)]).to.deep.equal([true, false, ['a'], []]);
  });
});
