import { EventEmitter, once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Socket } from 'node:net';
import amqplib, { type ChannelModel, type ConfirmChannel, type Options, type RecoveringChannelModel } from 'amqplib';
import { ErrorCodes, RETRY_TIERS_MS, exchangeName, messages, routingKeyFor, workQueues, type Payload, type RoutingKey, type WorkQueueName } from '@xauth/contracts';
import { AppError, TransientError, ValidationError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { SpanKind, inLazySpan } from '../tracing.js';
import { ConfirmDeadlines } from './confirm-deadlines.js';
import { publishOptions, type OutgoingEnvelope } from './envelope.js';
import { RawConsumer, type Attachable, type RawConsumerOptions, type RawHandler } from './raw-consumer.js';
import { Subscription, type HandlerMap, type SubscriptionOptions } from './subscription.js';
import { BrokerAddresses } from './broker-addresses.js';
import { assertTopology } from './topology.js';
import { connectionUser } from './producer-check.js';

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

/** What amqplib says when a channel or connection goes away under a publish (not a broker nack). */
const LINK_LOST = /channel closed(?! by server)|connection closed|Channel ended|Connection ended|socket|ECONNRESET|EPIPE/i;
/** What amqplib says when the broker nacks a publish. */
const NACKED = /message nacked/i;

export interface PublishOptions extends Omit<OutgoingEnvelope, 'type' | 'source'> {
  /** Appended to the routing key for targeted replies: `user.authenticated.<suffix>`. */
  routingKeySuffix?: string;
}

/**
 * The service's link to RabbitMQ: one recovering connection, a confirm channel for publishing,
 * a channel per subscription. After every reconnect the topology is asserted again and every
 * subscription consumes again.
 */
export class Bus extends EventEmitter {
  readonly namespace: string;
  readonly service: string;
  readonly retryTiersMs: readonly number[];
  /** The broker user it logs in as: every publish carries it as `user-id` (the broker checks it). */
  readonly brokerUser: string;
  private model?: RecoveringChannelModel;
  /** The connection the recovering model holds now (publish channels are reopened on it). */
  private connection?: ChannelModel;
  private pub?: ConfirmChannel;
  private readonly subscriptions = new Set<Attachable>();
  private closing = false;
  private fatal?: Error;
  private readonly confirmTimeoutMs: number;
  private readonly maxWaitingPublishes: number;
  private waitingPublishes = 0;
  private addresses?: BrokerAddresses;
  /** Publishes waiting for their confirm, failed when their deadline passes. */
  private readonly confirms = new ConfirmDeadlines();
  /** Why the broker blocks publishing (`connection.blocked`: a memory or disk alarm), while it does. */
  private blockedBy?: string;

  private constructor(private readonly opts: BusOptions) {
    super();
    this.namespace = opts.namespace;
    this.service = opts.service;
    this.retryTiersMs = opts.retryTiersMs ?? RETRY_TIERS_MS;
    this.brokerUser = connectionUser(opts.url);
    this.confirmTimeoutMs = opts.confirmTimeoutMs ?? 10_000;
    this.maxWaitingPublishes = opts.maxWaitingPublishes ?? 10_000;
    // Each publish waiting for a reconnect listens for it; their number is bounded above.
    this.setMaxListeners(this.maxWaitingPublishes + 100);
  }

  get logger(): Logger { return this.opts.logger; }
  get metrics(): Metrics { return this.opts.metrics; }

  /** Connects (retrying with backoff until the broker answers), asserts the topology. */
  static async connect(opts: BusOptions): Promise<Bus> {
    const bus = new Bus(opts);
    const addresses = new BrokerAddresses(typeof opts.url === 'string' ? [opts.url] : opts.url);
    bus.addresses = addresses;
    bus.model = await amqplib.connect(addresses.target, {
      clientProperties: { connection_name: `${opts.namespace}:${opts.service}` },
      // amqplib leaves Nagle on: a publish written right after an ack then waits for the broker's
      // delayed ACK, about 40 ms on every outbox relay publish (seen in bench:authorize's spans).
      noDelay: true,
      recovery: {
        initialMaxRetries: 20,
        // Throwing here makes recovery give up: a topology the broker refuses will not heal by retrying.
        calculateDelay: (attempt: number) => {
          if (bus.fatal) throw bus.fatal;
          // Each attempt goes to the next node of a cluster (a lone broker: the same one again).
          addresses.advance();
          return Math.min(5_000, 200 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
        },
        setup: (model: ChannelModel) => bus.onConnect(model),
      },
    });
    bus.model.on('disconnect', (err: Error) => {
      bus.pub = undefined;
      bus.connection = undefined;
      if (!bus.closing) opts.logger.warn('broker connection lost; recovering', { error: errorMessage(err) });
    });
    bus.model.on('error', (err: Error) => opts.logger.warn('broker connection error', { error: errorMessage(err) }));
    bus.model.on('blocked', (reason: string) => {
      bus.blockedBy = String(reason || 'no reason given');
      opts.logger.warn('broker blocks publishing; publishes wait for it, bounded by the confirm timeout', { reason: bus.blockedBy });
    });
    bus.model.on('unblocked', () => {
      bus.blockedBy = undefined;
      opts.logger.info('broker takes publishes again');
    });
    bus.model.on('reconnect-failed', (err: Error) => opts.logger.error('broker recovery gave up', { error: errorMessage(err) }));
    if (!bus.pub) await once(bus, 'connected');
    return bus;
  }

  private async openPublishChannel(model: ChannelModel): Promise<ConfirmChannel> {
    const pub = await model.createConfirmChannel();
    pub.on('error', (err: Error) => this.logger.warn('publish channel error', { error: errorMessage(err) }));
    pub.on('close', () => {
      if (this.pub !== pub) return;
      this.pub = undefined;
      // The broker closed only this channel (e.g. a publish to a missing exchange): the connection
      // lives on and will not reconnect, so open another channel on it.
      if (!this.closing) {
        this.openPublishChannel(model).then((next) => { this.pub = next; this.emit('connected'); })
          .catch((err: unknown) => this.logger.debug('publish channel not reopened; waiting for the connection to recover', { error: errorMessage(err) }));
      }
    });
    return pub;
  }

  private async onConnect(model: ChannelModel): Promise<void> {
    coalesceWrites(model);
    const pub = await this.openPublishChannel(model);
    try {
      const kept = await assertTopology(model, this.namespace, this.retryTiersMs, { quorumGroupSize: this.opts.quorumGroupSize, service: this.service });
      if (kept.length) this.logger.warn('queues exist declared otherwise (another quorum group size, or classic retry tiers of an earlier version); kept as they are', { queues: kept, quorumGroupSize: this.opts.quorumGroupSize });
    } catch (err) {
      if (/PRECONDITION[-_]FAILED/.test(errorMessage(err))) {
        this.fatal = new Error(`RabbitMQ holds a queue or exchange of namespace "${this.namespace}" declared differently from the contracts; `
          + `delete it (after draining) or use another XAUTH_NAMESPACE. Broker said: ${errorMessage(err)}`);
        this.logger.error('topology refused by the broker', { error: errorMessage(err) });
      }
      throw err;
    }
    for (const sub of this.subscriptions) await sub.attach(model);
    this.connection = model;
    this.pub = pub;
    this.logger.info('connected to broker', { namespace: this.namespace, broker: this.addresses?.current });
    this.emit('connected');
  }

  /** How many attempts a message of `queue` gets before it is dead-lettered. */
  maxAttemptsFor(queue: WorkQueueName): number {
    return this.opts.maxAttempts?.[queue] ?? workQueues[queue].maxAttempts;
  }

  isConnected(): boolean {
    return this.pub !== undefined;
  }

  /** Validates `payload` against its contract and publishes it; resolves with its messageId when the broker confirms. */
  publish<K extends RoutingKey>(type: K, payload: Payload<K>, opts: PublishOptions = {}): Promise<string> {
    const contract = messages[type];
    const parsed = contract.schema.safeParse(payload);
    if (!parsed.success) {
      return Promise.reject(new ValidationError({ message: `refusing to publish an invalid ${type}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` }));
    }
    const exchange = exchangeName(this.namespace, contract.kind === 'command' ? 'commands' : 'events');
    const routingKey = routingKeyFor(type, opts.routingKeySuffix);
    const props = publishOptions({ ...opts, type, source: this.service, userId: this.brokerUser });
    return this.publishTraced(exchange, routingKey, Buffer.from(JSON.stringify(parsed.data)), props, props.messageId);
  }

  /**
   * Publishes bytes as they are (relays, retries, dead letters); resolves on the broker's confirm.
   * A publish whose channel or connection drops before the confirm is sent again once the link is
   * back, and so is a nacked one, on a new channel (at-least-once: consumers dedupe on messageId), all
   * within `confirmTimeoutMs`.
   */
  publishRaw(exchange: string, routingKey: string, content: Buffer, props: Options.Publish): Promise<void> {
    // The broker closes the channel on a user-id that is not ours: one carried over (a dead letter's, a replay's) is replaced.
    if (props.userId !== this.brokerUser) props = { ...props, userId: this.brokerUser };
    return this.publishTraced(exchange, routingKey, content, props, undefined);
  }

  private publishTraced<T>(exchange: string, routingKey: string, content: Buffer, props: Options.Publish, result: T): Promise<T> {
    const metricKey = typeof props.type === 'string' ? props.type : routingKey;
    return inLazySpan(() => ({
      name: `${routingKey} publish`, kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'rabbitmq', 'messaging.operation': 'publish',
        'messaging.destination.name': exchange, 'messaging.rabbitmq.destination.routing_key': routingKey,
      },
    }), () => this.sendConfirmed(exchange, routingKey, content, props, metricKey, result));
  }

  /**
   * One publish until the broker confirms it. The common case is a single promise (each promise on
   * this path also pays the async-context hooks); a lost link goes through `resend`.
   */
  private sendConfirmed<T>(exchange: string, routingKey: string, content: Buffer, props: Options.Publish, metricKey: string, result: T): Promise<T> {
    const held = this.confirms.size + this.waitingPublishes;
    if (held >= this.maxWaitingPublishes) {
      this.metrics.published(metricKey, 'failed').inc();
      return Promise.reject(new TransientError({
        code: ErrorCodes.PUBLISH_BUFFER_FULL,
        message: `${held} publishes already wait for the broker (limit ${this.maxWaitingPublishes})${this.blockedNote()}`,
      }));
    }
    const deadline = Date.now() + this.confirmTimeoutMs;
    if (this.pub) return this.confirmOn(this.pub, exchange, routingKey, content, props, metricKey, deadline, result);
    return this.publishChannel(deadline).then(
      (ch) => this.confirmOn(ch, exchange, routingKey, content, props, metricKey, deadline, result),
      (err: unknown) => this.resend(err, exchange, routingKey, content, props, metricKey, deadline).then(() => result),
    );
  }

  private confirmOn<T>(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, props: Options.Publish, metricKey: string, deadline: number, result: T): Promise<T> {
    return new Promise<T>((resolve) => {
      this.sendOnce(ch, exchange, routingKey, content, props, deadline, (err) => {
        if (err === undefined) {
          this.metrics.published(metricKey, 'confirmed').inc();
          resolve(result);
        } else {
          resolve(this.resend(err, exchange, routingKey, content, props, metricKey, deadline, ch).then(() => result));
        }
      });
    });
  }

  /**
   * Publishes again what did not get its confirm: after a lost link, and after a nack. A nack on a
   * cluster comes from a quorum queue that has no leader yet (its node went away and the election
   * takes about half a second), and RabbitMQ 3.10 goes on nacking every later publish on that
   * channel: so the nacking channel is replaced, and the publish is sent again on the new one after
   * a growing pause, until the deadline. The message keeps its messageId: consumers dedupe a copy.
   */
  private async resend(firstErr: unknown, exchange: string, routingKey: string, content: Buffer, props: Options.Publish, metricKey: string, deadline: number, firstCh?: ConfirmChannel): Promise<void> {
    let err = firstErr;
    let ch = firstCh;
    let nacks = 0;
    while ((LINK_LOST.test(errorMessage(err)) || NACKED.test(errorMessage(err))) && Date.now() < deadline && !this.closing) {
      if (NACKED.test(errorMessage(err))) {
        nacks++;
        if (ch) this.replacePublishChannel(ch);
        this.logger.debug('broker nacked a publish; publishing again on a new channel', { routingKey, nacks });
        await delay(Math.min(1_000, 50 * 2 ** (nacks - 1), Math.max(0, deadline - Date.now())));
      } else {
        this.logger.debug('link lost before the confirm; publishing again', { routingKey });
      }
      try {
        ch = this.pub ?? await this.publishChannel(deadline);
        await this.publishOnce(ch, exchange, routingKey, content, props, deadline);
        this.metrics.published(metricKey, 'confirmed_after_resend').inc();
        return;
      } catch (next) {
        err = next;
      }
    }
    this.metrics.published(metricKey, 'failed').inc();
    if (err instanceof AppError) throw err;
    throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: `broker did not take ${routingKey}: ${errorMessage(err)}` });
  }

  /**
   * Closes a publish channel the broker nacks on and opens another on the same connection, once per
   * channel however many of its publishes were nacked. Publishes still waiting on the old channel
   * fail as a lost link and are sent again on the new one.
   */
  private replacePublishChannel(ch: ConfirmChannel): void {
    const model = this.connection;
    if (this.pub !== ch || !model || this.closing) return;
    this.pub = undefined;
    this.openPublishChannel(model).then((next) => {
      if (this.connection === model && !this.closing && !this.pub) {
        this.pub = next;
        this.emit('connected');
      } else {
        next.close().catch(() => undefined);
      }
    }, (err: unknown) => this.logger.debug('publish channel not replaced; waiting for the connection to recover', { error: errorMessage(err) }));
    ch.close().catch(() => undefined);
  }

  private publishOnce(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, props: Options.Publish, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.sendOnce(ch, exchange, routingKey, content, props, deadline, (err) => (err === undefined ? resolve() : reject(err)));
    });
  }

  /**
   * Writes one publish on `ch`; `done` is called once: without an error on the broker's confirm,
   * with one on a nack, on the confirm deadline, or when the channel is already closed.
   */
  private sendOnce(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, props: Options.Publish, deadline: number, done: (err?: unknown) => void): void {
    const waiting = this.confirms.wait(deadline, () => done(this.confirmTimeout(routingKey)));
    try {
      const ok = publishFrame(ch, exchange, routingKey, content, props, (err) => {
        if (waiting.settle()) done(err ?? undefined);
      });
      if (!ok) this.logger.debug('publish buffer full; waiting for the broker');
    } catch (err) {
      // The channel closed under us (amqplib throws on a closed channel).
      waiting.settle();
      if (this.pub === ch) this.pub = undefined;
      done(err);
    }
  }

  private confirmTimeout(routingKey: string): TransientError {
    return new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: `broker did not confirm ${routingKey} within ${this.confirmTimeoutMs} ms${this.blockedNote()}` });
  }

  /** What an error about a publish adds while the broker blocks publishers. */
  private blockedNote(): string {
    return this.blockedBy ? ` (the broker blocks publishing: ${this.blockedBy})` : '';
  }

  /** Waits (bounded in time and in how many wait) for the link to come back. */
  private async publishChannel(deadline: number): Promise<ConfirmChannel> {
    if (this.pub) return this.pub;
    if (this.closing) throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: 'bus is closing' });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), Math.max(1, deadline - Date.now()));
    this.waitingPublishes++;
    try {
      await once(this, 'connected', { signal: ac.signal });
    } catch {
      throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: `broker unreachable for ${this.confirmTimeoutMs} ms` });
    } finally {
      this.waitingPublishes--;
      clearTimeout(timer);
    }
    return this.publishChannel(deadline);
  }

  /** Consumes a work queue with `handlers`; every delivery goes through the one consumer wrapper. */
  async subscribe(queue: WorkQueueName, handlers: HandlerMap, opts: SubscriptionOptions): Promise<Subscription> {
    const sub = new Subscription(this, queue, handlers, opts, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    if (this.model && this.pub) await sub.attach(this.model as unknown as ChannelModel);
    return sub;
  }

  /**
   * Consumes any queue (e.g. `<namespace>.dead-letters`) delivery by delivery, outside the work-queue
   * wrapper: the handler resolving acks, throwing returns the delivery to the queue.
   */
  async consumeRaw(queue: string, handler: RawHandler, opts: RawConsumerOptions): Promise<RawConsumer> {
    const consumer = new RawConsumer(queue, handler, opts, this.logger, () => this.subscriptions.delete(consumer));
    this.subscriptions.add(consumer);
    if (this.model && this.pub) await consumer.attach(this.model as unknown as ChannelModel);
    return consumer;
  }

  /** Stops every subscription (in-flight handlers finish within `timeoutMs`) and closes the connection. */
  async close(timeoutMs = 10_000): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop(timeoutMs)));
    this.closing = true;
    try {
      await this.model?.close();
    } catch (err) {
      this.logger.debug('closing broker connection', { error: errorMessage(err) });
    }
    this.pub = undefined;
  }
}

/**
 * Sends what one tick of the event loop writes to the broker as one `writev`: amqplib writes every
 * frame (each publish, each ack) with a syscall of its own, which the client and the broker then
 * each pay per message. The socket is corked at the first write of a tick and uncorked on
 * `process.nextTick`, so nothing waits longer than the tick that wrote it.
 */
function coalesceWrites(model: ChannelModel): void {
  const socket = (model as unknown as { connection?: { stream?: Socket } }).connection?.stream;
  if (!socket || typeof socket.cork !== 'function') return;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => { corked = false; socket.uncork(); };
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as Socket['write'];
}

/**
 * `ConfirmChannel.publish` without its per-message cost: amqplib's `Args.publish` makes the
 * message's `headers` object the prototype of a fresh one (`Object.create(options.headers)`), so
 * V8 builds new hidden classes for every message and encodes the table by walking a prototype
 * chain: about 4 µs a message, a tenth of the bus's client CPU (scripts/bench/bus.mjs). This builds
 * the same method fields and properties with the headers as they are and hands them to the same
 * internals `publish` calls (`sendMessage`, then `pushConfirmCallback`). amqplib is pinned; the
 * bus tests fail if those internals move, and without them this falls back to `publish`.
 */
export function publishFrame(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, o: Options.Publish, onConfirm: (err: unknown) => void): boolean {
  const internals = ch as unknown as FrameSender;
  const reproducible = o.CC === undefined && o.BCC === undefined && (!o.headers || Object.getPrototypeOf(o.headers) === Object.prototype);
  if (typeof internals.sendMessage !== 'function' || typeof internals.pushConfirmCallback !== 'function' || !reproducible) {
    // Without the internals, or with what this shortcut does not reproduce (CC/BCC headers, inherited headers): the long way.
    return ch.publish(exchange, routingKey, content, o, onConfirm);
  }
  const fields: PublishFields = {
    exchange, routingKey, mandatory: !!o.mandatory, immediate: false, ticket: undefined,
    contentType: o.contentType, contentEncoding: o.contentEncoding, headers: o.headers,
    deliveryMode: o.persistent !== undefined ? (o.persistent ? 2 : 1) : typeof o.deliveryMode === 'number' ? o.deliveryMode : o.deliveryMode ? 2 : undefined,
    priority: o.priority, correlationId: o.correlationId, replyTo: o.replyTo,
    expiration: o.expiration === undefined ? undefined : String(o.expiration),
    messageId: o.messageId, timestamp: o.timestamp, type: o.type, userId: o.userId, appId: o.appId, clusterId: undefined,
  };
  const ok = internals.sendMessage(fields, fields, content);
  internals.pushConfirmCallback(onConfirm);
  return ok;
}

/** The method fields and properties amqplib encodes for one `basic.publish` (what `Args.publish` returns). */
interface PublishFields {
  exchange: string; routingKey: string; mandatory: boolean; immediate: false; ticket: undefined;
  contentType?: string; contentEncoding?: string; headers?: Record<string, unknown>; deliveryMode?: number; priority?: number;
  correlationId?: string; replyTo?: string; expiration?: string; messageId?: string; timestamp?: number; type?: string;
  userId?: string; appId?: string; clusterId: undefined;
}

interface FrameSender {
  sendMessage(fields: PublishFields, properties: PublishFields, content: Buffer): boolean;
  pushConfirmCallback(cb: (err: unknown) => void): void;
}
