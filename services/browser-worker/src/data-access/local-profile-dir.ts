import { mkdir, rm } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { ErrorCodes } from '@xauth/contracts';
import { ValidationError } from '@xauth/shared';
import { killProcessTree, livePidsMentioning, processGroupOf } from '@xauth/shared/chromium';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Chromium's marks that a browser holds the directory; a killed one leaves them behind. */
const SINGLETON_FILES = ['SingletonLock', 'SingletonSocket', 'SingletonCookie'];

/** The Chromium user-data-dir of one local profile: `<root>/<profileId>`, created when missing. */
export async function localProfileDir(root: string, profileId: string): Promise<string> {
  if (!SAFE_ID.test(profileId))
    throw new ValidationError({
      code: ErrorCodes.UNKNOWN_PROFILE,
      message: `profile id ${JSON.stringify(profileId.slice(0, 40))} is not a safe directory name`,
    });
  const dir = join(resolve(root), profileId);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Browsers running on a profile directory, e.g. one a dead worker left behind. */
export function browsersUsing(dir: string): number[] {
  return livePidsMentioning(`--user-data-dir=${dir}\0`);
}

/**
 * Kills what still runs on the directory and clears Chromium's singleton marks. Call it only while
 * holding the profile's lock: then whatever runs there belongs to nobody. Returns how many were killed.
 */
export async function clearStaleBrowsers(dir: string): Promise<number> {
  const stale = browsersUsing(dir);
  for (const pid of stale) killProcessTree(pid);
  await Promise.all(SINGLETON_FILES.map((f) => rm(join(dir, f), { force: true })));
  // A browser is its process group: its helpers mention the directory too.
  return new Set(stale.map((pid) => processGroupOf(pid) ?? pid)).size;
}
