import { runService } from '@xauth/shared';
import { loadXSimConfig } from './config.js';
import { DEFAULT_APP } from './options.js';
import { startXSim } from './start.js';

runService('x-sim', loadXSimConfig, (c, { logger }) =>
  startXSim({
    host: c.XSIM_HOST,
    port: c.XSIM_PORT,
    chromiumPath: c.XSIM_CHROMIUM_PATH,
    chromiumLaunchConcurrency: c.XSIM_LAUNCH_CONCURRENCY,
    userCount: c.XSIM_USER_COUNT,
    interstitialMs: c.XSIM_INTERSTITIAL_MS,
    tokenLifetimeSec: c.XSIM_TOKEN_LIFETIME_SEC,
    gologinRateLimitPerMinute: c.XSIM_GOLOGIN_RATE_LIMIT_PER_MINUTE,
    gologinToken: c.GOLOGIN_API_TOKEN,
    apps: [{ ...DEFAULT_APP, redirectUris: c.XSIM_REDIRECT_URIS }],
    logger,
  }),
);
