import { commonConfig, env, parseConfig } from '@xauth/shared';
import { z } from 'zod';

export const xsimConfigShape = {
  ...commonConfig,
  XSIM_HOST: env.str('127.0.0.1', 'interface x-sim listens on'),
  XSIM_PORT: env.port(8090, 'x-sim port (X web, X API and GoLogin API on one port)'),
  XSIM_CHROMIUM_PATH: env.str('/usr/bin/chromium', 'Chromium started for each profile'),
  XSIM_LAUNCH_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .default(2)
    .describe('Chromium launches run at once; further profile starts wait their turn (slower, never failed)'),
  XSIM_USER_COUNT: env.int(50, 'simulated users xsim_user_001 ..'),
  XSIM_INTERSTITIAL_MS: env.int(300, 'delay before the first-visit interstitial clears itself (0: none)'),
  XSIM_GOLOGIN_RATE_LIMIT_PER_MINUTE: env.int(300, 'GoLogin API requests per minute before it answers 429 and invalidates the API token'),
  XSIM_TOKEN_LIFETIME_SEC: env.int(7200, 'access token lifetime'),
  XSIM_REDIRECT_URIS: env.list('http://127.0.0.1:8080/oauth/callback', 'redirect URIs registered for the xauth-dev app'),
  GOLOGIN_API_TOKEN: env.str('xsim-gologin-token', 'bearer the simulated GoLogin API accepts'),
};

export function loadXSimConfig(source: NodeJS.ProcessEnv = process.env) {
  return parseConfig(xsimConfigShape, source);
}
