/** What `bounded` rejects with once its time is up. */
export class BoundExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} took longer than ${ms} ms`);
    this.name = 'BoundExceeded';
  }
}

/**
 * `work`, or a `BoundExceeded` rejection once `ms` have passed. The work goes on unattended after
 * that (its late result or error is dropped), so a close or stop that hangs never holds its caller.
 */
export function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BoundExceeded(what, ms)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Whether `work` succeeded within `ms` (false when it failed or ran late). */
export function succeedsWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return bounded(work, ms, 'work').then(
    () => true,
    () => false,
  );
}
