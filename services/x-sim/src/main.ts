import { createLogger, runMain, stopOnSignals } from '@xauth/shared';
import { loadXSimConfig } from './config.js';
import { DEFAULT_APP } from './options.js';
import { startXSim } from './start.js';

runMain(async () => {
  const c = loadXSimConfig(process.env);
  const logger = createLogger({ service: 'x-sim', level: c.LOG_LEVEL });
  const sim = await startXSim({
    host: c.XSIM_HOST, port: c.XSIM_PORT, chromiumPath: c.XSIM_CHROMIUM_PATH, userCount: c.XSIM_USER_COUNT,
    interstitialMs: c.XSIM_INTERSTITIAL_MS, tokenLifetimeSec: c.XSIM_TOKEN_LIFETIME_SEC, gologinToken: c.GOLOGIN_API_TOKEN,
    apps: [{ ...DEFAULT_APP, redirectUris: c.XSIM_REDIRECT_URIS }], logger,
  });
  logger.info('x-sim ready', { url: sim.url, users: c.XSIM_USER_COUNT });
  stopOnSignals(sim, logger, c.SHUTDOWN_TIMEOUT_MS);
});
