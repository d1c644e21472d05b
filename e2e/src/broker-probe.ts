import { randomUUID } from 'node:crypto';
import amqplib, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { brokerUserOf, exchangeName, queueName, DEAD_LETTER_QUEUE, type ExchangeRole, type ServiceName } from '@xauth/contracts';
import { devBrokerUrl } from '@xauth/shared/broker-users';

export interface Received {
  routingKey: string;
  body: unknown;
  raw: string;
  properties: ConsumeMessage['properties'];
}

/**
 * A plain amqplib client, as an upstream or consumer service would use: publishes commands,
 * listens to events through its own exclusive queue, reads the dead-letter queue.
 */
export interface BrokerProbeOptions {
  /**
   * Where dead letters are read when the dead-letter office consumes the queue: the letters it
   * stored. @defaultValue none: `waitForDeadLetter` reads the dead-letter queue itself
   */
  storedDeadLetters?: () => Promise<Received[]>;
}

export class BrokerProbe {
  /** Connections as xauth services' development users, opened by `publishAs`. */
  private readonly asServices = new Map<ServiceName, Promise<{ conn: ChannelModel; ch: ConfirmChannel }>>();

  private constructor(
    private readonly conn: ChannelModel,
    readonly ch: Channel,
    private readonly namespace: string,
    private readonly opts: BrokerProbeOptions,
    private readonly host: string,
  ) {}

  static async open(url: string, namespace: string, opts: BrokerProbeOptions = {}): Promise<BrokerProbe> {
    const conn = await amqplib.connect(url);
    // A test may take the probe's broker node down (cluster tests): the probe then just stops hearing.
    conn.on('error', () => undefined);
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    return new BrokerProbe(conn, ch, namespace, opts, new URL(url).host);
  }

  /**
   * Publishes as an xauth service: logged in as its development user, with its `user-id` (consumers
   * accept a type only from its producers). E.g. the browser worker's events when no worker runs, or
   * a dead letter as the consumer wrapper of its queue writes it. Resolves on the broker's confirm.
   */
  async publishAs(service: ServiceName, exchange: ExchangeRole, routingKey: string, body: unknown, props: amqplib.Options.Publish = {}): Promise<void> {
    let link = this.asServices.get(service);
    if (!link) {
      link = amqplib.connect(devBrokerUrl(service, this.host)).then(async (conn) => {
        conn.on('error', () => undefined);
        return { conn, ch: await conn.createConfirmChannel() };
      });
      this.asServices.set(service, link);
    }
    const { ch } = await link;
    const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    ch.publish(exchangeName(this.namespace, exchange), routingKey, content, {
      persistent: true,
      contentType: 'application/json',
      messageId: randomUUID(),
      type: routingKey,
      userId: brokerUserOf(service),
      ...props,
    });
    await ch.waitForConfirms();
  }

  /** Publishes raw bytes as a bare upstream might (no envelope unless given). */
  publishCommand(routingKey: string, body: unknown, props: amqplib.Options.Publish = {}): void {
    const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    this.ch.publish(exchangeName(this.namespace, 'commands'), routingKey, content, {
      persistent: true,
      contentType: 'application/json',
      messageId: randomUUID(),
      type: routingKey,
      ...props,
    });
  }

  /** Binds a fresh exclusive queue to the events exchange and collects what arrives. */
  async listen(pattern: string): Promise<EventCollector> {
    const { queue } = await this.ch.assertQueue('', { exclusive: true, autoDelete: true });
    await this.ch.bindQueue(queue, exchangeName(this.namespace, 'events'), pattern);
    const collector = new EventCollector();
    await this.ch.consume(
      queue,
      (m) => {
        if (m) collector.push(toReceived(m));
      },
      { noAck: true },
    );
    return collector;
  }

  /**
   * Waits until a dead letter matching `pred` is there: stored by the office (when it runs), else
   * in the dead-letter queue (consuming what it reads).
   */
  async waitForDeadLetter(pred: (r: Received) => boolean, timeoutMs = 20_000): Promise<Received> {
    const stored = this.opts.storedDeadLetters;
    if (stored) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = await stored();
        const hit = all.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline)
          throw new Error(
            `no matching dead letter stored within ${timeoutMs} ms (saw ${all.length}: ${all.map((s) => s.properties.headers?.['x-error-code']).join(', ')})`,
          );
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    const q = queueName(this.namespace, DEAD_LETTER_QUEUE);
    const deadline = Date.now() + timeoutMs;
    const seen: Received[] = [];
    while (Date.now() < deadline) {
      const m = await this.ch.get(q, { noAck: true });
      if (m) {
        const r = toReceived(m);
        if (pred(r)) return r;
        seen.push(r);
      } else {
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    throw new Error(
      `no matching dead letter within ${timeoutMs} ms (saw ${seen.length}: ${seen.map((s) => s.properties.headers?.['x-error-code']).join(', ')})`,
    );
  }

  async close(): Promise<void> {
    for (const link of this.asServices.values()) await link.then(({ conn }) => conn.close()).catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

function toReceived(m: ConsumeMessage | GetMessage): Received {
  const raw = m.content.toString('utf8');
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    /* keep raw */
  }
  return { routingKey: m.fields.routingKey, body, raw, properties: m.properties };
}

/** Collects events and waits for the one a test expects. */
export class EventCollector {
  readonly all: Received[] = [];
  /** When each of `all` arrived (epoch ms). */
  readonly times: number[] = [];
  private waiters: Array<() => void> = [];

  push(r: Received): void {
    this.all.push(r);
    this.times.push(Date.now());
    for (const w of this.waiters.splice(0)) w();
  }

  async waitFor(pred: (r: Received) => boolean, timeoutMs = 60_000, what = 'event'): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.all.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${what} within ${timeoutMs} ms; got ${this.all.map((a) => `${a.routingKey}:${JSON.stringify(a.body)}`).join(' | ') || 'nothing'}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1_000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
