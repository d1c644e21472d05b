import amqplib, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { BrokerAddresses } from './broker-addresses.js';
import { assertTopology } from './topology.js';

export interface ConnectionOptions {
  url: string | readonly string[];
  namespace: string;
  service: string;
  logger: Logger;
  retryTiersMs: readonly number[];
  quorumGroupSize?: number;
}

/** What the rest of the bus does as the connection comes and goes. */
export interface ConnectionEvents {
  /** A (re)connect with the topology asserted: open channels, consume again. Throwing fails this attempt. */
  connected(model: ChannelModel): Promise<void>;
  /** The connection went away; recovery is under way. */
  lost(): void;
  /** The broker blocks publishing for `reason` (a memory or disk alarm), or takes publishes again (undefined). */
  blocked(reason: string | undefined): void;
}

/**
 * One recovering connection to RabbitMQ: connects with backoff, each attempt to the next node of a
 * cluster, and asserts the namespace's topology on every (re)connect. A topology the broker refuses
 * will not heal by retrying, so recovery stops and says why.
 */
export class BrokerConnection {
  private closing = false;

  private constructor(readonly model: RecoveringChannelModel) {}

  /** Connects (retrying with backoff until the broker answers); resolves once `events.connected` ran. */
  static async open(opts: ConnectionOptions, events: ConnectionEvents): Promise<BrokerConnection> {
    const { logger } = opts;
    const addresses = new BrokerAddresses(typeof opts.url === 'string' ? [opts.url] : opts.url);
    let fatal: Error | undefined;
    const model = await amqplib.connect(addresses.target, {
      clientProperties: { connection_name: `${opts.namespace}:${opts.service}` },
      // amqplib leaves Nagle on: a publish written right after an ack then waits for the broker's
      // delayed ACK, about 40 ms on every outbox relay publish (seen in bench:authorize's spans).
      noDelay: true,
      recovery: {
        initialMaxRetries: 20,
        // Throwing here makes recovery give up: a topology the broker refuses will not heal by retrying.
        calculateDelay: (attempt: number) => {
          if (fatal) throw fatal;
          // Each attempt goes to the next node of a cluster (a lone broker: the same one again).
          addresses.advance();
          return Math.min(5_000, 200 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
        },
        setup: async (m: ChannelModel) => {
          try {
            await setUpTopology(m, opts);
          } catch (err) {
            fatal = topologyConflict(err, opts.namespace);
            if (fatal) logger.error('topology refused by the broker', { error: errorMessage(err) });
            throw err;
          }
          await events.connected(m);
          logger.info('connected to broker', { namespace: opts.namespace, broker: addresses.current });
        },
      },
    });
    const conn = new BrokerConnection(model);
    model.on('disconnect', (err: Error) => {
      events.lost();
      if (!conn.closing) logger.warn('broker connection lost; recovering', { error: errorMessage(err) });
    });
    model.on('error', (err: Error) => logger.warn('broker connection error', { error: errorMessage(err) }));
    model.on('blocked', (reason: string) => {
      const why = String(reason || 'no reason given');
      events.blocked(why);
      logger.warn('broker blocks publishing; publishes wait for it, bounded by the confirm timeout', { reason: why });
    });
    model.on('unblocked', () => {
      events.blocked(undefined);
      logger.info('broker takes publishes again');
    });
    model.on('reconnect-failed', (err: Error) => logger.error('broker recovery gave up', { error: errorMessage(err) }));
    return conn;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.model.close();
  }
}

async function setUpTopology(model: ChannelModel, opts: ConnectionOptions): Promise<void> {
  const kept = await assertTopology(model, opts.namespace, opts.retryTiersMs, { quorumGroupSize: opts.quorumGroupSize, service: opts.service });
  if (kept.length) {
    opts.logger.warn('queues exist declared otherwise (another quorum group size, or classic retry tiers of an earlier version); kept as they are', {
      queues: kept,
      quorumGroupSize: opts.quorumGroupSize,
    });
  }
}

/** The error that stops recovery when the broker holds the namespace's topology declared otherwise. */
function topologyConflict(err: unknown, namespace: string): Error | undefined {
  if (!/PRECONDITION[-_]FAILED/.test(errorMessage(err))) return undefined;
  return new Error(
    `RabbitMQ holds a queue or exchange of namespace "${namespace}" declared differently from the contracts; ` +
      `delete it (after draining) or use another XAUTH_NAMESPACE. Broker said: ${errorMessage(err)}`,
  );
}
