/** What a truthy check leaves of T. */
type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Resolves with `probe`'s first truthy answer, asking every 20 ms; fails after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
