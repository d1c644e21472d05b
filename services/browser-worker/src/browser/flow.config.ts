import { z } from 'zod';
import { env } from '@xauth/shared';

/** Bounds of what the flow does around the page; spread into the browser-worker's config schema. */
export const browserFlowConfig = {
  PAGE_CLOSE_TIMEOUT_MS: env.int(5_000, 'how long closing the page and disconnecting from the profile browser may take before the flow moves on'),
  ARTIFACT_CAPTURE_TIMEOUT_MS: env.int(5_000, 'how long each failure artifact (screenshot, HTML, trace) may take to capture'),
  // Measured on a success path (scripts/bench/trace-cost.mjs, 2 cores): about +55 ms on a ~450 ms flow
  // with DOM snapshots, +125 ms with the screencast of `full` (+240 ms under heavy load); the failure
  // screenshot stands in for the screencast.
  ARTIFACTS_TRACE: z
    .enum(['full', 'snapshots', 'actions', 'off'])
    .default('snapshots')
    .describe('Playwright trace kept on failure: snapshots (DOM snapshots, network, console), full (plus a screencast, slower), actions (no DOM), off'),
};
