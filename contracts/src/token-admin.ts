import { z } from 'zod';
import { AccountId, AppName } from './messages.js';

/** `POST /v1/apps/{app}/tokens/recheck`: the app. */
export const AppParams = z.strictObject({ app: AppName });

/** `POST /v1/apps/{app}/tokens/recheck`: one page of the app's dead tokens. */
export const RecheckTokensRequest = z.strictObject({
  /** Dead tokens to try at most. @defaultValue the orchestrator's RECHECK_LIMIT (also the ceiling) */
  limit: z.number().int().min(1).max(10_000).optional(),
  /** Go on after this cursor (`next` of the previous answer). */
  after: z.string().max(100).optional(),
});

/** What a recheck did: every dead token it tried had its refresh token spent once. */
export const RecheckTokensResult = z.object({
  app: AppName,
  checked: z.number().int(),
  /** X rotated the refresh token: active again, `token.refreshed` announced. */
  revived: z.array(AccountId),
  /** X said the refresh token is invalid: still dead. */
  stillDead: z.number().int(),
  /** Could not tell (error code -> count); these stay dead. */
  failed: z.record(z.string(), z.number().int()),
  /** More dead tokens follow: pass as `after`. */
  next: z.string().optional(),
});

export type RecheckTokensRequest = z.infer<typeof RecheckTokensRequest>;
export type RecheckTokensResult = z.infer<typeof RecheckTokensResult>;
