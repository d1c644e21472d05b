import type { Options } from 'amqplib';

/**
 * The broker nodes a bus may connect to, and the one its next connection attempt goes to.
 *
 * amqplib's recovering connection reconnects to the one address it was given, read afresh on every
 * attempt. With one URL that is the URL itself, as before. With several it is an object whose
 * fields `advance` rewrites: the recovery loop's next attempt (scheduled through `calculateDelay`)
 * then goes to the next node, round-robin, so a bus connects to any live node and fails over when
 * its node goes away.
 */
export class BrokerAddresses {
  /** What `amqplib.connect` gets: read by amqplib on each (re)connect attempt. */
  readonly target: string | Options.Connect;
  private index = 0;
  private readonly parsed: Options.Connect[];

  constructor(private readonly urls: readonly string[]) {
    if (!urls.length) throw new RangeError('at least one broker URL is needed');
    this.parsed = urls.map(connectOptions);
    this.target = urls.length === 1 ? urls[0]! : { ...this.parsed[0] };
  }

  get size(): number {
    return this.urls.length;
  }

  /** `host:port` of the node the next attempt goes to (no credentials: safe to log). */
  get current(): string {
    const o = this.parsed[this.index]!;
    return `${o.hostname}:${o.port}`;
  }

  /** Points the next connection attempt at the next node. */
  advance(): void {
    if (typeof this.target === 'string') return;
    this.index = (this.index + 1) % this.parsed.length;
    Object.assign(this.target, this.parsed[this.index]);
  }
}

/**
 * A URL as amqplib's object form, meaning what amqplib makes of the URL itself: credentials
 * percent-decoded (guest/guest when the URL names none), vhost left encoded (amqplib decodes it),
 * `heartbeat`, `frameMax`, `channelMax`, `locale` and `maxFrameSize` from the query.
 */
export function connectOptions(url: string): Options.Connect {
  const u = new URL(url);
  const protocol = u.protocol.replace(/:$/, '');
  const q = u.searchParams;
  const num = (key: string) => (q.has(key) ? Number.parseInt(q.get(key)!, 10) : undefined);
  const noCredentials = u.username === '' && u.password === '';
  return {
    protocol,
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number.parseInt(u.port, 10) || (protocol === 'amqp' ? 5672 : 5671),
    username: noCredentials ? 'guest' : decodeURIComponent(u.username),
    password: noCredentials ? 'guest' : decodeURIComponent(u.password),
    vhost: u.pathname.length > 1 ? u.pathname.slice(1) : '/',
    heartbeat: num('heartbeat'),
    frameMax: num('frameMax'),
    channelMax: num('channelMax'),
    locale: q.get('locale') ?? undefined,
    ...(q.has('maxFrameSize') ? { maxFrameSize: num('maxFrameSize') } : {}),
  } as Options.Connect;
}
