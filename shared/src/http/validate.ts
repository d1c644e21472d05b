import type { z } from 'zod';
import { ValidationError } from '../errors.js';

/** Parses HTTP input (body, params, query) or throws a 400 `VALIDATION_FAILED` naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError({
      message: `invalid ${what}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}
