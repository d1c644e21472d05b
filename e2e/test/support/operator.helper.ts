import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getJson, getServiceToken, postJson, type Stack } from '../../src/index.js';

/**
 * Puts a valid token in place for each account through the orchestrator's own store and keyring
 * (encrypted under its active key, aad `<account>/<app>`), as a finished login leaves it. Tests of
 * what happens to stored tokens (cached answers, re-encryption) need many of them without Chromium.
 */
export async function seedTokens(stack: Stack, accounts: string[], app = 'xauth-dev'): Promise<void> {
  const { store, keyring } = stack.orchestrator.deps;
  await store.transaction(async (tx) => {
    for (const [i, accountId] of accounts.entries()) {
      const aad = `${accountId.toLowerCase()}/${app}`;
      await tx.saveToken({
        accountId,
        app,
        xUserId: String(1_000_000 + i),
        scopes: 'tweet.read users.read offline.access',
        expiresAt: new Date(Date.now() + 7_200_000),
        accessTokenEnc: keyring.encrypt(`access-${accountId}`, aad),
        refreshTokenEnc: keyring.encrypt(`refresh-${accountId}`, aad),
      });
    }
  });
}

/** Publishes an event on the namespace's events exchange, as the browser worker does. */
export function publishEvent(stack: Stack, routingKey: string, body: unknown): Promise<void> {
  return stack.probe.publishAs('browser-worker', 'events', routingKey, body);
}

/** The gateway's REST API as dev-admin (every scope). */
export async function adminApi(gatewayUrl: string) {
  const jwt = await getServiceToken(gatewayUrl, 'dev-admin', 'dev-admin-secret');
  const auth = { authorization: `Bearer ${jwt}` };
  return {
    get: (path: string) => getJson(`${gatewayUrl}${path}`, auth),
    post: (path: string, body: unknown) => postJson(`${gatewayUrl}${path}`, body, auth),
  };
}

/** The `xauth` command npm linked at install, which `npx xauth` runs (not X11's xauth). */
const BIN = fileURLToPath(new URL('../../../../node_modules/.bin/xauth', import.meta.url));

/** Runs the installed `xauth` command against a gateway, as an operator would. */
export function xauthCli(gatewayUrl: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { PATH: process.env.PATH ?? '', XAUTH_GATEWAY_URL: gatewayUrl }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
