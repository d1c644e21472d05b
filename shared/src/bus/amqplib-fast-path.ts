import { Socket } from 'node:net';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';

/*
 * The one file that reaches into amqplib's private API (amqplib is pinned in package.json). It is
 * not exported from `@xauth/shared`; the bus uses it unless `BusOptions.fastPath` is false, and
 * shared/test/amqplib-fast-path.test.ts fails when the internals below change shape.
 */

/**
 * `ConfirmChannel.publish` without its per-message cost: amqplib's `Args.publish` makes the
 * message's `headers` object the prototype of a fresh one (`Object.create(options.headers)`), so
 * V8 builds new hidden classes for every message and encodes the table by walking a prototype
 * chain. This builds the same method fields and properties with the headers as they are and hands
 * them to the two internals `publish` calls: `sendMessage(fields, properties, content)`, then
 * `pushConfirmCallback(cb)`. Without them, or for what it does not reproduce (CC/BCC, inherited
 * headers), it takes the public `publish`.
 */
export function fastPublish(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, o: Options.Publish, onConfirm: (err: unknown) => void): boolean {
  const internals = ch as unknown as FrameSender;
  const reproducible = o.CC === undefined && o.BCC === undefined && (!o.headers || Object.getPrototypeOf(o.headers) === Object.prototype);
  if (!reproducible || !hasFrameSender(internals)) return ch.publish(exchange, routingKey, content, o, onConfirm);
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

/**
 * The socket amqplib writes every frame of a connection to (`connection.stream`: the `net.Socket`
 * or `tls.TLSSocket` itself, amqplib wraps only other streams); undefined when it is not there.
 */
export function connectionSocket(model: ChannelModel): Socket | undefined {
  const stream = (model as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  return stream instanceof Socket ? stream : undefined;
}

/** The method fields and properties amqplib encodes for one `basic.publish` (what `Args.publish` returns). */
export interface PublishFields {
  exchange: string; routingKey: string; mandatory: boolean; immediate: false; ticket: undefined;
  contentType?: string; contentEncoding?: string; headers?: Record<string, unknown>; deliveryMode?: number; priority?: number;
  correlationId?: string; replyTo?: string; expiration?: string; messageId?: string; timestamp?: number; type?: string;
  userId?: string; appId?: string; clusterId: undefined;
}

interface FrameSender {
  sendMessage(fields: PublishFields, properties: PublishFields, content: Buffer): boolean;
  pushConfirmCallback(cb: (err: unknown) => void): void;
}

/** The internals as this file calls them: a closed channel swaps `sendMessage` for a thrower of another arity. */
function hasFrameSender(ch: Partial<FrameSender>): ch is FrameSender {
  return typeof ch.sendMessage === 'function' && ch.sendMessage.length === 3
    && typeof ch.pushConfirmCallback === 'function' && ch.pushConfirmCallback.length === 1;
}
