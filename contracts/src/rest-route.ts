import type { z } from 'zod';
import type { ServiceScope } from './rest.js';

/** One public route of the gateway, as the OpenAPI document describes it. */
export interface RestRoute {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template, e.g. `/v1/jobs/{jobId}`. */
  path: string;
  summary: string;
  /** The scope the route requires; none: no authentication (the token and key routes). */
  scope?: ServiceScope;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Form bodies are taken too (the OAuth token endpoint). */
  formBody?: boolean;
  /** The success status. @defaultValue 200 */
  status?: number;
  /** The success body: a schema (JSON), or the content types of a file. */
  response: z.ZodType | { files: readonly string[] };
}
