import type { Channel, ConsumeMessage } from 'amqplib';
import { ErrorCodes, messages, queueName, type Payload, type RoutingKey, type WorkQueueName } from '@xauth/contracts';
import { AppError, ValidationError, errorMessage } from '../errors.js';
import { withLogContext, type Logger } from '../logger.js';
import { SpanKind, extractTraceContext, inLazySpan } from '../tracing.js';
import { AckBatcher } from './ack-batcher.js';
import type { ChannelSource, ConsumerContext } from './bus-context.js';
import { ConsumerSet } from './consumer-set.js';
import { readEnvelope, type Envelope } from './envelope.js';
import { decideFailure, deadLetterOptions, retryOptions } from './failure-policy.js';
import { InFlight } from './signal.js';
import { checkProducer } from './producer-check.js';

export interface HandlerContext {
  envelope: Envelope;
  routingKey: string;
  logger: Logger;
}
export type Handler<K extends RoutingKey> = (payload: Payload<K>, ctx: HandlerContext) => Promise<void>;
/** One service's list mapping routing keys to handlers. */
export type HandlerMap = { [K in RoutingKey]?: Handler<K> };

export interface SubscriptionOptions {
  /** Unacked deliveries held at once; `Subscription.setPrefetch` changes it while consuming. */
  prefetch: number;
  /** Our retry budget (`x-attempt`). @defaultValue the bus's budget for the queue (`Bus.maxAttemptsFor`) */
  maxAttempts?: number;
  /** Larger bodies are dead-lettered unread (`PAYLOAD_TOO_LARGE`). @defaultValue 262144 */
  maxMessageBytes?: number;
}

/**
 * A consumer of one work queue. Resolving a handler acks; throwing hands the error to the failure
 * policy (retry later, dead-letter now); a crash leaves the delivery unacked for the broker's limit.
 */
export class Subscription {
  private ch?: Channel;
  private acks?: AckBatcher;
  private consumers?: ConsumerSet;
  private prefetch: number;
  private readonly inFlight = new InFlight();
  private stopped = false;
  private readonly fullQueue: string;
  private readonly maxAttempts: number;
  private readonly maxMessageBytes: number;

  /** @param opts with the queue's retry budget resolved; `onStopped` is called once it has stopped. */
  constructor(
    private readonly ctx: ConsumerContext,
    readonly queue: WorkQueueName,
    private readonly handlers: HandlerMap,
    opts: SubscriptionOptions & { maxAttempts: number },
    private readonly onStopped: () => void,
  ) {
    this.prefetch = opts.prefetch;
    this.fullQueue = queueName(ctx.namespace, queue);
    this.maxAttempts = opts.maxAttempts;
    this.maxMessageBytes = opts.maxMessageBytes ?? 256 * 1024;
  }

  /** (Re)opens the channel and consumes; called on subscribe and after every reconnect. */
  async attach(source: ChannelSource): Promise<void> {
    if (this.stopped) return;
    const ch = await source.createChannel();
    ch.on('error', (err: Error) => this.ctx.logger.warn('consumer channel error', { queue: this.fullQueue, error: errorMessage(err) }));
    const acks = new AckBatcher(ch, (err) =>
      this.ctx.logger.warn('could not ack; the broker will redeliver', { queue: this.fullQueue, error: errorMessage(err) }),
    );
    const consumers: ConsumerSet = new ConsumerSet(ch, this.fullQueue, this.prefetch, {
      onMessage: (msg) => {
        acks.hold(msg);
        this.onDelivery(acks, consumers, msg);
      },
      flushAcks: () => acks.flush(),
      onError: (err) => this.ctx.logger.warn("could not change the consumers' prefetch", { queue: this.fullQueue, error: errorMessage(err) }),
    });
    this.ch = ch;
    this.acks = acks;
    this.consumers = consumers;
    await consumers.start();
  }

  /**
   * Changes how many deliveries this subscription holds at once, on the running consumer (the browser
   * pool follows its concurrency). Deliveries already held are worked off; no new one arrives until
   * fewer than `n` are held.
   */
  async setPrefetch(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`prefetch must be a positive integer, got ${n}`);
    this.prefetch = n;
    await this.consumers?.setLimit(n);
  }

  get busy(): number {
    return this.inFlight.count;
  }

  /**
   * One delivery through the wrapper, with as few promises as the work needs (the handler's, the
   * reaction that settles it, a guard): each one here also pays the async-context hooks that carry
   * the log context.
   */
  private onDelivery(acks: AckBatcher, consumers: ConsumerSet, msg: ConsumeMessage): void {
    this.inFlight.enter();
    const { envelope, filled } = readEnvelope(msg);
    const baseType = this.resolveType(envelope.type, msg.fields.routingKey);
    const metricKey = baseType ?? 'unknown';
    const started = performance.now();
    withLogContext({ correlationId: envelope.correlationId, messageId: envelope.messageId }, () => {
      if (filled.length) this.ctx.logger.info('message arrived without a full envelope; filled in', { filled, routingKey: msg.fields.routingKey });
      return inLazySpan(
        () => ({
          name: `${metricKey} process`,
          kind: SpanKind.CONSUMER,
          parent: extractTraceContext(envelope.headers),
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.operation': 'process',
            'messaging.destination.name': this.fullQueue,
            'messaging.message.id': envelope.messageId,
          },
        }),
        () => this.handle(acks, consumers, msg, envelope, baseType, metricKey, started),
      );
    }).then(undefined, (err: unknown) => {
      // `handle` settles every delivery itself: reaching this is a bug in the wrapper, logged, never an
      // unhandled rejection, and the delivery no longer counts as in flight (a drain does not wait for it).
      this.ctx.logger.error('consumer wrapper failed', { queue: this.fullQueue, error: errorMessage(err) });
      this.finished(consumers, msg, metricKey, started);
    });
  }

  private finished(consumers: ConsumerSet, msg: ConsumeMessage, metricKey: string, started: number): void {
    consumers.settled(msg);
    this.ctx.metrics.handlerSeconds(metricKey).observe((performance.now() - started) / 1000);
    this.inFlight.leave();
  }

  /** Runs the handler; its resolving acks, its error (thrown or rejected) goes to the failure policy. */
  private handle(
    acks: AckBatcher,
    consumers: ConsumerSet,
    msg: ConsumeMessage,
    envelope: Envelope,
    baseType: RoutingKey | undefined,
    metricKey: string,
    started: number,
  ): Promise<void> {
    const failed = (err: unknown) => this.onFailure(acks, msg, envelope, metricKey, err).then(() => this.finished(consumers, msg, metricKey, started));
    let handled: Promise<void>;
    try {
      handled = Promise.resolve(this.dispatch(baseType, msg, envelope));
    } catch (err) {
      return failed(err);
    }
    return handled.then(() => {
      acks.ack(msg);
      this.ctx.metrics.consumed(metricKey, 'acked').inc();
      this.finished(consumers, msg, metricKey, started);
    }, failed);
  }

  private resolveType(type: string, routingKey: string): RoutingKey | undefined {
    if (Object.hasOwn(this.handlers, type)) return type as RoutingKey;
    for (const candidate of [type, routingKey]) {
      const key = Object.keys(this.handlers).find((k) => candidate === k || candidate.startsWith(`${k}.`));
      if (key) return key as RoutingKey;
    }
    return undefined;
  }

  /** Checks the delivery and calls its handler; throws (synchronously) what is wrong with the input. */
  private dispatch(type: RoutingKey | undefined, msg: ConsumeMessage, envelope: Envelope): Promise<void> {
    if (!type)
      throw new AppError({ code: ErrorCodes.UNKNOWN_MESSAGE_TYPE, message: `no handler for type "${envelope.type}" on ${this.fullQueue}`, retryable: false });
    checkProducer(type, msg, this.ctx);
    if (msg.content.length > this.maxMessageBytes) {
      throw new AppError({
        code: ErrorCodes.PAYLOAD_TOO_LARGE,
        message: `body of ${msg.content.length} bytes exceeds ${this.maxMessageBytes}`,
        retryable: false,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(msg.content.toString('utf8'));
    } catch (err) {
      throw new AppError({ code: ErrorCodes.MESSAGE_UNPARSEABLE, message: `body is not JSON: ${errorMessage(err)}`, retryable: false });
    }
    const parsed = messages[type].schema.safeParse(body);
    if (!parsed.success) {
      throw new ValidationError({
        message: `${type} violates its schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      });
    }
    // At debug, what arrived (the logger redacts its secrets: codes, states, URLs' query secrets).
    if (this.ctx.logger.isDebugEnabled()) this.ctx.logger.debug('message received', { routingKey: msg.fields.routingKey, payload: parsed.data });
    const handler = this.handlers[type] as Handler<typeof type>;
    return handler(parsed.data as Payload<typeof type>, { envelope, routingKey: msg.fields.routingKey, logger: this.ctx.logger });
  }

  private async onFailure(acks: AckBatcher, msg: ConsumeMessage, envelope: Envelope, metricKey: string, err: unknown): Promise<void> {
    const decision = decideFailure(err, envelope.attempt, this.maxAttempts, this.ctx.retryTiersMs, envelope.deferrals);
    const log = { routingKey: msg.fields.routingKey, attempt: envelope.attempt, errorCode: decision.code, error: decision.message };
    try {
      if (decision.action === 'retry') {
        const { exchange, routingKey, options } = retryOptions(this.ctx, this.queue, msg, envelope, decision);
        await this.ctx.publishRaw(exchange, routingKey, msg.content, options);
        if (decision.deferred)
          this.ctx.logger.info('work could not start; deferred without spending an attempt', {
            ...log,
            deferrals: envelope.deferrals + 1,
            delayMs: decision.delayMs,
          });
        else this.ctx.logger.warn('handler failed; retrying later', { ...log, delayMs: decision.delayMs });
      } else {
        const type = (envelope.type in messages ? envelope.type : undefined) as RoutingKey | undefined;
        const { exchange, routingKey, content, options } = deadLetterOptions(this.ctx, this.queue, msg, envelope, decision, type);
        await this.ctx.publishRaw(exchange, routingKey, content, options);
        this.ctx.logger.error('message dead-lettered', log);
      }
      acks.ack(msg);
      this.ctx.metrics.consumed(metricKey, decision.action === 'retry' ? 'retried' : 'dead_lettered').inc();
    } catch (publishErr) {
      // Could not park it safely: give it back. `reject` raises the quorum delivery count, so this stays bounded.
      this.ctx.logger.error('could not retry or dead-letter; returning the message to the queue', { ...log, publishError: errorMessage(publishErr) });
      try {
        acks.reject(msg, true);
      } catch {
        /* channel gone: the broker redelivers anyway */
      }
      this.ctx.metrics.consumed(metricKey, 'requeued').inc();
    }
  }

  /** Stops taking deliveries, waits (bounded) for in-flight handlers, closes the channel (unacked return to the queue). */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const ch = this.ch;
    try {
      await this.consumers?.cancelAll();
    } catch {
      /* channel already closed */
    }
    if (!(await this.inFlight.drained(timeoutMs))) {
      this.ctx.logger.warn('stop timed out with handlers in flight', { queue: this.fullQueue, inFlight: this.inFlight.count });
    }
    this.acks?.flush();
    try {
      await ch?.close();
    } catch {
      /* already closed */
    }
    this.onStopped();
  }
}
