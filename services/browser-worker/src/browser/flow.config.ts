import { z } from 'zod';
import { env } from '@xauth/shared';

/** Bounds of what the flow does around the page; spread into the browser-worker's config schema. */
export const browserFlowConfig = {
  PAGE_CLOSE_TIMEOUT_MS: env.int(5_000, 'how long closing the page and disconnecting from the profile browser may take before the flow moves on'),
  ARTIFACT_CAPTURE_TIMEOUT_MS: env.int(5_000, 'how long each failure artifact (screenshot, HTML, trace) may take to capture'),
  ARTIFACTS_TRACE: z.enum(['full', 'snapshots', 'off']).default('full')
    .describe('Playwright trace kept on failure: full (DOM snapshots + screencast), snapshots (DOM only, cheaper), off'),
};
