import { z } from 'zod';
import { env } from '@xauth/shared';

/** Bounds of what the flow does around the page; spread into the browser-worker's config schema. */
export const browserFlowConfig = {
  PAGE_CLOSE_TIMEOUT_MS: env.int(5_000, 'how long closing the page and disconnecting from the profile browser may take before the flow moves on'),
  // A CPU profile of the worker at two concurrent flows on 2 cores (2026-12-03) had zlib at a third of its CPU.
  CDP_COMPRESSION: z
    .enum(['remote', 'always', 'never'])
    .default('remote')
    .describe(
      "WebSocket compression (permessage-deflate) between the worker and a profile's browser: remote (only to a browser on another host; on this host it costs both ends CPU and saves nothing), always (Playwright's own behaviour), never",
    ),
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
  // Recording costs every attempt, and a success throws it away: over four runs of
  // scripts/bench/trace-cost.mjs (2026-12-02, medians of 8-12 flows each) `actions` against `off` cost
  // the flow -33 to +67 ms (median about +50, some 4 % of a flow) and the worker 10-37 ms of CPU.
  // Playwright Test's own default is the same trade: trace the first retry, not every run.
  ARTIFACTS_TRACE_FROM_ATTEMPT: z.coerce
    .number()
    .int()
    .min(1)
    .default(2)
    .describe(
      'the attempt from which a job records the Playwright trace it keeps on failure (1: every attempt); an attempt before it keeps its screenshot and HTML only',
    ),
};
