#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createLogger, errorMessage, parseConfig } from '@xauth/shared';
import { browserWorkerConfigShape } from '../../config.js';
import { importProfileCookies } from '../../data-access/profile-cookies.importer.js';
import { parseCookieExport } from '../../domain/cookie-export.rule.js';

const USAGE =
  'usage: npm run profiles:import -- --profile <profileId> --cookies <export.json>\n' +
  '  writes the cookies into the local profile <LOCAL_PROFILES_DIR>/<profileId> (PROFILE_PROVIDER=local)';
const TIMEOUT_MS = 30_000;

/** `profiles:import`: seeds a local profile with a cookie export (EditThisCookie or Playwright). */
async function main(): Promise<number> {
  let values: { profile?: string; cookies?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { profile: { type: 'string' }, cookies: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help || !values.profile || !values.cookies) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  // Only what a local profile needs: the worker's GoLogin and production checks are not this command's.
  const { LOCAL_PROFILES_DIR, CHROMIUM_PATH, LOG_LEVEL } = browserWorkerConfigShape;
  const config = parseConfig({ LOCAL_PROFILES_DIR, CHROMIUM_PATH, LOG_LEVEL }, process.env);
  const logger = createLogger({ service: 'profiles-import', level: config.LOG_LEVEL });
  const cookies = parseCookieExport(JSON.parse(await readFile(values.cookies, 'utf8')));
  const result = await importProfileCookies(values.profile, cookies, {
    profilesDir: config.LOCAL_PROFILES_DIR,
    chromiumPath: config.CHROMIUM_PATH,
    timeoutMs: TIMEOUT_MS,
    logger,
  });
  // Counts and names only: cookie values are secrets.
  process.stdout.write(`${JSON.stringify({ profileId: values.profile, dir: result.dir, imported: result.imported, sessionCookies: result.session })}\n`);
  if (result.session > 0) process.stderr.write(`warning: ${result.session} session cookie(s) without expiry will not survive a browser restart\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`profiles:import failed: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
