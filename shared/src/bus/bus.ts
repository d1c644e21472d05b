import type { Options } from 'amqplib';
import { RETRY_TIERS_MS, workQueues, type Payload, type RoutingKey, type WorkQueueName } from '@xauth/contracts';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ConsumerContext } from './bus-context.js';
import { BrokerConnection } from './connection.js';
import { PublishChannel } from './publish-channel.js';
import { Publisher, type PublishOptions } from './publisher.js';
import { RawConsumer, type RawConsumerOptions, type RawHandler } from './raw-consumer.js';
import { Subscription, type HandlerMap, type SubscriptionOptions } from './subscription.js';
import { SubscriptionRegistry } from './subscription-registry.js';
import { connectionUser } from './producer-check.js';

export type { PublishOptions } from './publisher.js';

export interface BusOptions {
  /** The broker, or the nodes of a cluster: the bus connects to one and, when it goes away, to the next. */
  url: string | readonly string[];
  /**
   * Replicas of each quorum queue when the topology creates it (`x-quorum-initial-group-size`). A queue
   * that already exists keeps its size. @defaultValue the broker's (every node, at most 5)
   */
  quorumGroupSize?: number;
  /** Prefix of every exchange and queue. */
  namespace: string;
  /** This service's name: `appId` / `ce-source` of what it publishes. */
  service: string;
  logger: Logger;
  metrics: Metrics;
  /** How long a publish waits for the broker's confirm (and for a reconnect). @defaultValue 10000 */
  confirmTimeoutMs?: number;
  /** Delay tiers of the retry exchange. @defaultValue RETRY_TIERS_MS */
  retryTiersMs?: readonly number[];
  /** Retry budget (`x-attempt`) per work queue. @defaultValue each queue's `maxAttempts` in the contracts */
  maxAttempts?: Partial<Record<WorkQueueName, number>>;
  /**
   * Publishes held in memory at once: written and waiting for the broker's confirm, or waiting for
   * a reconnect. More fail fast with `PUBLISH_BUFFER_FULL`, so a broker that stops confirming (a
   * resource alarm, a dead link) cannot grow the process's memory without bound. @defaultValue 10000
   */
  maxWaitingPublishes?: number;
}

/**
 * The service's link to RabbitMQ: one recovering connection (`connection.ts`), a confirm channel
 * for publishing (`publish-channel.ts`, `publisher.ts`), a channel per subscription
 * (`subscription-registry.ts`). After every reconnect the topology is asserted again and every
 * subscription consumes again. Subscriptions see it only as a `ConsumerContext`.
 */
export class Bus implements ConsumerContext {
  readonly namespace: string;
  readonly service: string;
  readonly retryTiersMs: readonly number[];
  /** The broker user it logs in as: every publish carries it as `user-id` (the broker checks it). */
  readonly brokerUser: string;
  private readonly link: PublishChannel;
  private readonly publisher: Publisher;
  private readonly consumers = new SubscriptionRegistry();
  private connection?: BrokerConnection;

  private constructor(private readonly opts: BusOptions) {
    this.namespace = opts.namespace;
    this.service = opts.service;
    this.retryTiersMs = opts.retryTiersMs ?? RETRY_TIERS_MS;
    this.brokerUser = connectionUser(opts.url);
    this.link = new PublishChannel(opts.logger);
    this.publisher = new Publisher({
      namespace: opts.namespace,
      service: opts.service,
      brokerUser: this.brokerUser,
      logger: opts.logger,
      metrics: opts.metrics,
      link: this.link,
      confirmTimeoutMs: opts.confirmTimeoutMs ?? 10_000,
      maxWaitingPublishes: opts.maxWaitingPublishes ?? 10_000,
    });
  }

  get logger(): Logger {
    return this.opts.logger;
  }
  get metrics(): Metrics {
    return this.opts.metrics;
  }

  /** Connects (retrying with backoff until the broker answers), asserts the topology. */
  static async connect(opts: BusOptions): Promise<Bus> {
    const bus = new Bus(opts);
    const { link, consumers } = bus;
    bus.connection = await BrokerConnection.open(
      { ...opts, retryTiersMs: bus.retryTiersMs },
      {
        connected: async (model) => {
          const ch = await link.open(model);
          await consumers.attachAll(model);
          link.use(model, ch);
        },
        lost: () => link.lost(),
        blocked: (reason) => {
          link.blockedBy = reason;
        },
      },
    );
    await link.waitForChannel();
    return bus;
  }

  /** How many attempts a message of `queue` gets before it is dead-lettered. */
  maxAttemptsFor(queue: WorkQueueName): number {
    return this.opts.maxAttempts?.[queue] ?? workQueues[queue].maxAttempts;
  }

  isConnected(): boolean {
    return this.link.channel !== undefined;
  }

  /** Validates `payload` against its contract and publishes it; resolves with its messageId when the broker confirms. */
  publish<K extends RoutingKey>(type: K, payload: Payload<K>, opts: PublishOptions = {}): Promise<string> {
    return this.publisher.publish(type, payload, opts);
  }

  /**
   * Publishes bytes as they are (relays, retries, dead letters); resolves on the broker's confirm.
   * A publish whose channel or connection drops before the confirm is sent again once the link is
   * back, and so is a nacked one, on a new channel (at-least-once: consumers dedupe on messageId), all
   * within `confirmTimeoutMs`.
   */
  publishRaw(exchange: string, routingKey: string, content: Buffer, props: Options.Publish): Promise<void> {
    return this.publisher.publishRaw(exchange, routingKey, content, props);
  }

  /** Consumes a work queue with `handlers`; every delivery goes through the one consumer wrapper. */
  subscribe(queue: WorkQueueName, handlers: HandlerMap, opts: SubscriptionOptions): Promise<Subscription> {
    const resolved = { ...opts, maxAttempts: opts.maxAttempts ?? this.maxAttemptsFor(queue) };
    return this.consumers.add((onStopped) => new Subscription(this, queue, handlers, resolved, onStopped), this.attachSource());
  }

  /**
   * Consumes any queue (e.g. `<namespace>.dead-letters`) delivery by delivery, outside the work-queue
   * wrapper: the handler resolving acks, throwing returns the delivery to the queue.
   */
  consumeRaw(queue: string, handler: RawHandler, opts: RawConsumerOptions): Promise<RawConsumer> {
    return this.consumers.add((onStopped) => new RawConsumer(queue, handler, opts, this.logger, onStopped), this.attachSource());
  }

  /** Stops every subscription (in-flight handlers finish within `timeoutMs`) and closes the connection. */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.consumers.stopAll(timeoutMs);
    this.link.close();
    try {
      await this.connection?.close();
    } catch (err) {
      this.logger.debug('closing broker connection', { error: errorMessage(err) });
    }
  }

  /** Where a new consumer opens its channel now; none while the link is down (the next connect attaches it). */
  private attachSource() {
    return this.connection && this.link.channel ? this.connection.model : undefined;
  }
}
