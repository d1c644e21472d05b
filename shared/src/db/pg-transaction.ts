import type pg from 'pg';

/**
 * `fn` inside BEGIN … COMMIT on a client of its own from `pool` (ROLLBACK when it throws), the
 * client back in the pool after, or discarded with the error. While a client is checked out the
 * pool does not listen for its errors: a connection reset between two queries (PostgreSQL
 * restarted, a proxy cut) would surface as an uncaught 'error' event and end the process. The
 * client gets a listener of its own for that time; the query in flight fails on its own and
 * reaches the caller as `fn`'s error.
 */
export async function inPgTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    client.off('error', ignore);
    client.release();
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    // Released with the error, the client is closed, not reused: the listener stays for what it may still emit.
    client.release(err as Error);
    throw err;
  }
}
