import { setTimeout as delay } from 'node:timers/promises';
import type { ConfirmChannel, Options } from 'amqplib';
import { ErrorCodes, exchangeName, messages, routingKeyFor, type Payload, type RoutingKey } from '@xauth/contracts';
import { AppError, TransientError, ValidationError, errorMessage } from '../errors.js';
import { SpanKind, inLazySpan } from '../tracing.js';
import type { PublisherContext } from './bus-context.js';
import { ConfirmDeadlines } from './confirm-deadlines.js';
import { publishOptions, type OutgoingEnvelope } from './envelope.js';

/** What amqplib says when a channel or connection goes away under a publish (not a broker nack). */
const LINK_LOST = /channel closed(?! by server)|connection closed|Channel ended|Connection ended|socket|ECONNRESET|EPIPE/i;
/** What amqplib says when the broker nacks a publish. */
const NACKED = /message nacked/i;

export interface PublishOptions extends Omit<OutgoingEnvelope, 'type' | 'source'> {
  /** Appended to the routing key for targeted replies: `user.authenticated.<suffix>`. */
  routingKeySuffix?: string;
}

/**
 * Validated, confirmed publishing: a payload is checked against its contract, written on the link's
 * confirm channel and resolved on the broker's confirm, within `confirmTimeoutMs`; what a lost link
 * or a nack kept from being confirmed is sent again; at most `maxWaitingPublishes` are held at once.
 */
export class Publisher {
  /** Publishes waiting for their confirm, failed when their deadline passes. */
  private readonly confirms = new ConfirmDeadlines();

  constructor(private readonly ctx: PublisherContext) {}

  /** Validates `payload` against its contract and publishes it; resolves with its messageId when the broker confirms. */
  publish<K extends RoutingKey>(type: K, payload: Payload<K>, opts: PublishOptions = {}): Promise<string> {
    const contract = messages[type];
    const parsed = contract.schema.safeParse(payload);
    if (!parsed.success) {
      return Promise.reject(
        new ValidationError({
          message: `refusing to publish an invalid ${type}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        }),
      );
    }
    const exchange = exchangeName(this.ctx.namespace, contract.kind === 'command' ? 'commands' : 'events');
    const routingKey = routingKeyFor(type, opts.routingKeySuffix);
    const props = publishOptions({ ...opts, type, source: this.ctx.service, userId: this.ctx.brokerUser });
    return this.publishTraced(exchange, routingKey, Buffer.from(JSON.stringify(parsed.data)), props, props.messageId);
  }

  /** Publishes bytes as they are (relays, retries, dead letters); resolves on the broker's confirm. */
  publishRaw(exchange: string, routingKey: string, content: Buffer, props: Options.Publish): Promise<void> {
    // The broker closes the channel on a user-id that is not ours: one carried over (a dead letter's, a replay's) is replaced.
    if (props.userId !== this.ctx.brokerUser) props = { ...props, userId: this.ctx.brokerUser };
    return this.publishTraced(exchange, routingKey, content, props, undefined);
  }

  private publishTraced<T>(exchange: string, routingKey: string, content: Buffer, props: Options.Publish, result: T): Promise<T> {
    const metricKey = typeof props.type === 'string' ? props.type : routingKey;
    return inLazySpan(
      () => ({
        name: `${routingKey} publish`,
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation': 'publish',
          'messaging.destination.name': exchange,
          'messaging.rabbitmq.destination.routing_key': routingKey,
        },
      }),
      () => this.sendConfirmed(exchange, routingKey, content, props, metricKey, result),
    );
  }

  /**
   * One publish until the broker confirms it. The common case is a single promise (each promise on
   * this path also pays the async-context hooks); a lost link goes through `resend`.
   */
  private sendConfirmed<T>(exchange: string, routingKey: string, content: Buffer, props: Options.Publish, metricKey: string, result: T): Promise<T> {
    const held = this.confirms.size + this.ctx.link.waiting;
    if (held >= this.ctx.maxWaitingPublishes) {
      this.ctx.metrics.published(metricKey, 'failed').inc();
      return Promise.reject(
        new TransientError({
          code: ErrorCodes.PUBLISH_BUFFER_FULL,
          message: `${held} publishes already wait for the broker (limit ${this.ctx.maxWaitingPublishes})${this.blockedNote()}`,
        }),
      );
    }
    const deadline = Date.now() + this.ctx.confirmTimeoutMs;
    const ch = this.ctx.link.channel;
    if (ch) return this.confirmOn(ch, exchange, routingKey, content, props, metricKey, deadline, result);
    return this.channelBy(deadline).then(
      (next) => this.confirmOn(next, exchange, routingKey, content, props, metricKey, deadline, result),
      (err: unknown) => this.resend(err, exchange, routingKey, content, props, metricKey, deadline).then(() => result),
    );
  }

  private confirmOn<T>(
    ch: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    props: Options.Publish,
    metricKey: string,
    deadline: number,
    result: T,
  ): Promise<T> {
    return new Promise<T>((resolve) => {
      this.sendOnce(ch, exchange, routingKey, content, props, deadline, (err) => {
        if (err === undefined) {
          this.ctx.metrics.published(metricKey, 'confirmed').inc();
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
  private async resend(
    firstErr: unknown,
    exchange: string,
    routingKey: string,
    content: Buffer,
    props: Options.Publish,
    metricKey: string,
    deadline: number,
    firstCh?: ConfirmChannel,
  ): Promise<void> {
    const { link, logger, metrics } = this.ctx;
    let err = firstErr;
    let ch = firstCh;
    let nacks = 0;
    while ((LINK_LOST.test(errorMessage(err)) || NACKED.test(errorMessage(err))) && Date.now() < deadline && !link.closing) {
      if (NACKED.test(errorMessage(err))) {
        nacks++;
        if (ch) link.replace(ch);
        logger.debug('broker nacked a publish; publishing again on a new channel', { routingKey, nacks });
        await delay(Math.min(1_000, 50 * 2 ** (nacks - 1), Math.max(0, deadline - Date.now())));
      } else {
        logger.debug('link lost before the confirm; publishing again', { routingKey });
      }
      try {
        ch = link.channel ?? (await this.channelBy(deadline));
        await this.publishOnce(ch, exchange, routingKey, content, props, deadline);
        metrics.published(metricKey, 'confirmed_after_resend').inc();
        return;
      } catch (next) {
        err = next;
      }
    }
    metrics.published(metricKey, 'failed').inc();
    if (err instanceof AppError) throw err;
    throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: `broker did not take ${routingKey}: ${errorMessage(err)}` });
  }

  private publishOnce(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, props: Options.Publish, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.sendOnce(ch, exchange, routingKey, content, props, deadline, (err) => (err === undefined ? resolve() : reject(err as Error)));
    });
  }

  /**
   * Writes one publish on `ch`; `done` is called once: without an error on the broker's confirm,
   * with one on a nack, on the confirm deadline, or when the channel is already closed.
   */
  private sendOnce(
    ch: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    props: Options.Publish,
    deadline: number,
    done: (err?: unknown) => void,
  ): void {
    const waiting = this.confirms.wait(deadline, () => done(this.confirmTimeout(routingKey)));
    try {
      const ok = ch.publish(exchange, routingKey, content, props, (err) => {
        if (waiting.settle()) done(err ?? undefined);
      });
      if (!ok) this.ctx.logger.debug('publish buffer full; waiting for the broker');
    } catch (err) {
      // The channel closed under us (amqplib throws on a closed channel).
      waiting.settle();
      this.ctx.link.forget(ch);
      done(err);
    }
  }

  /** Waits (bounded in time and in how many wait) for the link to come back. */
  private async channelBy(deadline: number): Promise<ConfirmChannel> {
    const ch = await this.ctx.link.waitForChannel(deadline);
    if (ch) return ch;
    const message = this.ctx.link.closing ? 'bus is closing' : `broker unreachable for ${this.ctx.confirmTimeoutMs} ms`;
    throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message });
  }

  private confirmTimeout(routingKey: string): TransientError {
    return new TransientError({
      code: ErrorCodes.DEPENDENCY_UNAVAILABLE,
      message: `broker did not confirm ${routingKey} within ${this.ctx.confirmTimeoutMs} ms${this.blockedNote()}`,
    });
  }

  /** What an error about a publish adds while the broker blocks publishers. */
  private blockedNote(): string {
    return this.ctx.link.blockedBy ? ` (the broker blocks publishing: ${this.ctx.link.blockedBy})` : '';
  }
}
