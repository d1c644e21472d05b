import { z } from 'zod';
import { env } from '@xauth/shared';

/** Bounds of what the flow does around the page; spread into the browser-worker's config schema. */
export const browserFlowConfig = {
  PAGE_CLOSE_TIMEOUT_MS: env.int(5_000, 'how long closing the page and disconnecting from the profile browser may take before the flow moves on'),
  ARTIFACT_CAPTURE_TIMEOUT_MS: env.int(5_000, 'how long each failure artifact (screenshot, HTML, trace) may take to capture'),
  // Every job records one, a success discards it. Measured per successful flow on 2 cores
  // (tmp experiment beside scripts/bench/trace-cost.mjs, Chromium's CPU read from the reaped children):
  // DOM snapshots cost Chromium about 16 ms and the worker about 36 ms of CPU more than `actions`, 3 % of
  // a flow's CPU on a machine that is CPU-bound from 2 browsers; a failure keeps its screenshot and
  // HTML either way. Playwright records the network log only with snapshots: set `snapshots` while
  // chasing a failure that needs the DOM of each step or what was loaded.
  ARTIFACTS_TRACE: z
    .enum(['full', 'snapshots', 'actions', 'off'])
    .default('actions')
    .describe(
      'Playwright trace kept on failure (beside the screenshot and the HTML): actions (each Playwright call with its timing and outcome; no DOM, no network log), snapshots (plus DOM snapshots of each step and the network log: about 50 ms more CPU per flow), full (plus a screencast, slower), off',
    ),
};
