import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import amqplib, { type Channel, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { expect } from 'chai';
import { connectionSocket, fastPublish } from '../src/bus/amqplib-fast-path.js';
import { batchWritesPerTick } from '../src/bus/write-batching.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** The amqplib internals the fast path relies on, as the pinned version lays them out. */
interface ChannelInternals {
  ch: number;
  sendMessage: (fields: Record<string, unknown>, properties: Record<string, unknown>, content: Buffer) => boolean;
  pushConfirmCallback: (cb: (err: unknown) => void) => void;
  unconfirmed: unknown[];
  connection: { sendMessage: (...args: unknown[]) => boolean };
}
const internals = (ch: ConfirmChannel) => ch as unknown as ChannelInternals;

/** Records the calls of `obj[name]` (still calling it) until `restore`. */
function spyOn<T extends object>(obj: T, name: keyof T & string): { calls: unknown[][]; restore: () => void } {
  const calls: unknown[][] = [];
  const original = obj[name] as (...args: unknown[]) => unknown;
  (obj as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    calls.push(args);
    return original.apply(this, args);
  };
  return { calls, restore: () => { delete (obj as Record<string, unknown>)[name]; } };
}

/** Every key of an object, inherited ones too (amqplib's `Args.publish` makes headers inherit). */
const allKeys = (o: object) => { const keys: string[] = []; for (const k in o) keys.push(k); return keys.sort(); };

const confirmed = (send: (cb: (err: unknown) => void) => void) => new Promise<void>((resolve, reject) => send((err) => (err ? reject(err) : resolve())));

describe('amqplib fast path (amqplib-fast-path.ts) on the pinned amqplib and a real RabbitMQ', function () {
  this.timeout(30_000);
  let conn: ChannelModel;
  let ch: Channel;
  let confirm: ConfirmChannel;
  let queue: string;

  beforeEach(async () => {
    conn = await amqplib.connect(AMQP_URL);
    ch = await conn.createChannel();
    confirm = await conn.createConfirmChannel();
    ({ queue } = await ch.assertQueue('', { exclusive: true }));
  });
  afterEach(async () => {
    await conn.close();
  });

  const props: Options.Publish = {
    persistent: true, messageId: randomUUID(), type: 'user.login.requested', timestamp: 1_764_000_000, contentType: 'application/json',
    appId: 'bus-test', correlationId: 'corr-1', expiration: 60_000 as unknown as string, priority: 3,
    headers: { cloudEvents_specversion: '1.0', 'x-attempt': 2, nested: { a: 'b' }, list: ['x', 1], flag: true, skipped: undefined },
  };

  it('when a confirm channel is opened, then sendMessage and pushConfirmCallback are there with the arity the fast path calls', () => {
    const c = internals(confirm);
    expect(typeof c.sendMessage).to.equal('function');
    expect(c.sendMessage.length, 'sendMessage(fields, properties, content)').to.equal(3);
    expect(typeof c.pushConfirmCallback).to.equal('function');
    expect(c.pushConfirmCallback.length, 'pushConfirmCallback(cb)').to.equal(1);
    expect(c.unconfirmed, 'the confirm callbacks, in publish order').to.be.an('array');
    expect(typeof c.connection.sendMessage).to.equal('function');
    expect(c.connection.sendMessage.length, 'connection.sendMessage(channel, method, fields, propertiesClass, properties, content)').to.equal(6);
  });

  it('when fastPublish sends, then amqplib gets the fields and properties in the layout public publish hands it, with the same keys and values', async () => {
    const c = internals(confirm);
    const content = Buffer.from('{"fast":true}');
    const channelSpy = spyOn(c, 'sendMessage');
    const connectionSpy = spyOn(c.connection, 'sendMessage');
    try {
      await confirmed((cb) => confirm.publish('', queue, content, props, cb));
      const unconfirmedBefore = c.unconfirmed.length;
      await confirmed((cb) => {
        fastPublish(confirm, '', queue, content, props, cb);
        expect(c.unconfirmed.length, 'one confirm callback pushed per publish').to.equal(unconfirmedBefore + 1);
      });
    } finally {
      channelSpy.restore();
      connectionSpy.restore();
    }
    // Public publish: sendMessage(fieldsAndProps, fieldsAndProps, content), one object for both.
    expect(channelSpy.calls).to.have.length(2);
    const [[publicFields, publicProps, publicContent], [fastFields, fastProps, fastContent]] = channelSpy.calls as [Record<string, unknown>, Record<string, unknown>, Buffer][];
    expect(publicProps).to.equal(publicFields);
    expect(fastProps).to.equal(fastFields);
    expect(publicContent).to.equal(content);
    expect(fastContent).to.equal(content);
    // A field amqplib adds to (or drops from) `Args.publish` must show up here, not as a silently different frame.
    expect(Object.keys(fastFields).sort()).to.deep.equal(Object.keys(publicFields).sort());
    for (const key of Object.keys(publicFields)) {
      if (key === 'headers') continue;
      expect(fastFields[key], key).to.deep.equal(publicFields[key]);
    }
    expect(allKeys(fastFields.headers as object)).to.deep.equal(allKeys(publicFields.headers as object));
    // The channel hands both on to the connection as the basic.publish method fields and the basic properties.
    expect(connectionSpy.calls).to.have.length(2);
    for (const [i, fields] of [publicFields, fastFields].entries()) {
      const [channelNumber, method, methodFields, propertiesClass, properties, body] = connectionSpy.calls[i]!;
      expect(channelNumber).to.equal(c.ch);
      expect(method, 'defs.BasicPublish').to.equal(3932200);
      expect(propertiesClass, 'defs.BasicProperties').to.equal(60);
      expect(methodFields).to.equal(fields);
      expect(properties).to.equal(fields);
      expect(body).to.equal(content);
    }
  });

  it('when fastPublish publishes to the broker, then the confirm arrives and the delivery carries what public publish would deliver', async () => {
    const content = Buffer.from('{"fast":true}');
    await confirmed((cb) => fastPublish(confirm, '', queue, content, props, cb));
    await confirmed((cb) => confirm.publish('', queue, content, props, cb));
    const [fast, slow] = [await ch.get(queue, { noAck: true }), await ch.get(queue, { noAck: true })];
    if (!fast || !slow) throw new Error('both messages should have arrived');
    expect(fast.content.toString()).to.equal('{"fast":true}');
    expect(fast.properties).to.deep.equal(slow.properties);
    expect(fast.properties).to.include({
      messageId: props.messageId, type: 'user.login.requested', timestamp: 1_764_000_000, contentType: 'application/json',
      appId: 'bus-test', correlationId: 'corr-1', deliveryMode: 2, expiration: '60000', priority: 3,
    });
    expect(fast.properties.headers).to.deep.equal({ cloudEvents_specversion: '1.0', 'x-attempt': 2, nested: { a: 'b' }, list: ['x', 1], flag: true });
  });

  it('when the broker nacks a fastPublish, then its confirm callback gets the error', async () => {
    const { queue: full } = await ch.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    const err = await confirmed((cb) => fastPublish(confirm, '', full, Buffer.from('{}'), props, cb)).then(() => undefined, (e: unknown) => e);
    expect(String(err)).to.match(/nacked/i);
  });

  it('when a connection is open, then its socket is where amqplib writes every frame, and batching corks each tick\'s writes', async () => {
    const socket = connectionSocket(conn);
    expect(socket, 'connection.stream is the net.Socket').to.be.instanceOf(Socket);
    if (!socket) return;
    expect(typeof socket.write).to.equal('function');
    expect(typeof socket.cork).to.equal('function');
    expect(typeof socket.uncork).to.equal('function');
    // What socket.write sees: batching wraps it, so each call shows whether the tick corked the socket first.
    const corkedAtWrite: number[] = [];
    const write = socket.write as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      corkedAtWrite.push(socket.writableCorked);
      return write.apply(socket, args);
    }) as Socket['write'];
    batchWritesPerTick(socket);
    await Promise.all(Array.from({ length: 5 }, () => confirmed((cb) => fastPublish(confirm, '', queue, Buffer.from('{}'), props, cb))));
    expect(corkedAtWrite.length, 'frames written through socket.write').to.be.at.least(1);
    expect(corkedAtWrite.every((n) => n > 0), 'every write inside a corked tick').to.equal(true);
    await new Promise((r) => process.nextTick(r));
    expect(socket.writableCorked, 'uncorked by the end of the tick').to.equal(0);
    expect((await ch.checkQueue(queue)).messageCount).to.equal(5);
  });
});
