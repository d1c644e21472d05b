/** Artifact names a failure kept, carried with the error from the flow to the attempt's report. */
const kept = new WeakMap<object, string[]>();

export function attachArtifacts(err: unknown, names: readonly string[]): void {
  if (names.length && typeof err === 'object' && err !== null) kept.set(err, [...names]);
}

/** The names kept for this failure, if any (for `authorization.attempt.failed.artifacts`). */
export function artifactsOf(err: unknown): string[] | undefined {
  return typeof err === 'object' && err !== null ? kept.get(err) : undefined;
}
