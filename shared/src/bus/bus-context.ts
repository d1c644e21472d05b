import type { Channel, ConfirmChannel, Options } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

/*
 * The narrow interfaces between the bus's parts (BullMQ's `MinimalQueue`): each part names the few
 * things it calls, never the `Bus` class, so the parts import this file and not each other.
 */

/** Where a consumer opens its channel: the recovering connection, or the connection of one (re)connect. */
export interface ChannelSource {
  createChannel(): Promise<Channel>;
}

/** A consumer the bus attaches again after every reconnect and stops on close. */
export interface Attachable {
  attach(source: ChannelSource): Promise<void>;
  stop(timeoutMs: number): Promise<void>;
}

/** Where the failure policy sends a retry or a dead letter, and whom it names as the failing service. */
export interface FailureContext {
  readonly namespace: string;
  readonly service: string;
  /** The broker user this process logs in as: its retries and dead letters carry it as `user-id`. */
  readonly brokerUser: string;
  readonly retryTiersMs: readonly number[];
}

/** What a work-queue subscription needs: names, telemetry, and a confirmed publish for its retries and dead letters. */
export interface ConsumerContext extends FailureContext {
  readonly logger: Logger;
  readonly metrics: Metrics;
  publishRaw(exchange: string, routingKey: string, content: Buffer, props: Options.Publish): Promise<void>;
}

/** The confirm channel publishes go out on, as the publisher sees it. */
export interface PublishLink {
  /** The channel to publish on now; undefined while the link is down or being set up. */
  readonly channel: ConfirmChannel | undefined;
  /** How many publishes wait for a channel. */
  readonly waiting: number;
  /** The bus is closing: nothing waits for the link any more. */
  readonly closing: boolean;
  /** Why the broker blocks publishing (a memory or disk alarm), while it does. */
  readonly blockedBy: string | undefined;
  /** An open channel, waiting for one until `deadline` (epoch ms); undefined when none came or the bus closes. */
  waitForChannel(deadline?: number): Promise<ConfirmChannel | undefined>;
  /** The broker nacks on `ch`: close it and open another on the same connection. */
  replace(ch: ConfirmChannel): void;
  /** `ch` threw on a write (it closed under us): stop handing it out. */
  forget(ch: ConfirmChannel): void;
}

/** What the publisher needs: names for the envelope, telemetry, limits and the link. */
export interface PublisherContext {
  readonly namespace: string;
  readonly service: string;
  /** Every publish carries it as `user-id`; the broker refuses any other. */
  readonly brokerUser: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly confirmTimeoutMs: number;
  readonly maxWaitingPublishes: number;
  readonly link: PublishLink;
}
