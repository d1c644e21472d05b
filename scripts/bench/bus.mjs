#!/usr/bin/env node
// Benchmark: persistent 512-byte messages through xauth's bus (envelope, schema validation on
// publish and consume, publisher confirms, manual ack after the handler, quorum queue) and, in the
// same run against the same broker, through raw amqplib twice: "raw, same work" does what the bus
// does by hand with amqplib's public API (the same envelope properties and headers, the same zod
// schema on publish and consume, confirm channel, manual ack: the issue's baseline), and "bare
// amqplib" sends only the AMQP properties and checks nothing (the floor). Prints msgs/s, p50/p99
// publish→handled latency and the CPU the client and the broker spent per message for each, and
// the ratios. Each side runs in its own process, first a warm-up that is not counted (a fresh
// namespace's quorum queues are still settling in the broker); bodies are made before the window;
// sides alternate order from round to round and the medians of the rounds are compared. Not a test:
// no assertions.
// `npm run bench:bus -- --messages 20000 --warmup 2000 --window 1000 --prefetch 500 --rounds 5`
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { dataSchemaId, messages, workQueueArguments } from '@xauth/contracts';
import { Bus, Metrics, createLogger, deleteTopology } from '@xauth/shared';
import { alternate, median, quantile } from './lib/figures.mjs';
import { pidsNamed, procStat } from './lib/proc-sampler.mjs';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    window: { type: 'string', default: '1000' },
    prefetch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
    child: { type: 'string' },
    url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
  },
});
const N = Number(args.messages);
const WARMUP = Number(args.warmup);
const WINDOW = Number(args.window);
const PREFETCH = Number(args.prefetch);
const ROUNDS = Number(args.rounds);
const BODY_BYTES = 512;

/** A valid `authorization.attempt.failed` whose JSON body is exactly 512 bytes. */
function payload() {
  const base = { jobId: randomUUID(), errorCode: 'TIMEOUT', message: '', retryable: true };
  const pad = BODY_BYTES - Buffer.byteLength(JSON.stringify(base));
  return { ...base, message: randomBytes(pad).toString('base64').slice(0, pad) };
}

/** Keeps at most `window` publishes awaiting confirms, as a pipelined producer does. */
async function pipelined(count, window, publishOne) {
  let next = 0;
  const lanes = Array.from({ length: window }, async () => {
    while (next < count) await publishOne(next++);
  });
  await Promise.all(lanes);
}

const TYPE = 'authorization.attempt.failed';
const contract = messages[TYPE];

/**
 * Raw amqplib on the same kind of route: a durable topic exchange bound to a quorum queue, a
 * confirm channel, manual ack, as an application would write it with amqplib's public API. `bare`
 * sends only the AMQP properties and trusts what arrives; `sameWork` does by hand what the issue
 * asks of both sides: the same envelope (properties and `cloudEvents_*` / `x-attempt` headers) and the same
 * zod schema checked on publish and on consume.
 */
async function rawSide(onBody, { sameWork }) {
  const conn = await amqplib.connect(args.url);
  const pub = await conn.createConfirmChannel();
  const sub = await conn.createChannel();
  const queue = `bench-raw-${randomBytes(4).toString('hex')}`;
  await pub.assertExchange(queue, 'topic', { durable: true });
  await pub.assertQueue(queue, { durable: true, arguments: workQueueArguments('bench-raw', 5) });
  await pub.bindQueue(queue, queue, TYPE);
  await sub.prefetch(PREFETCH);
  await sub.consume(
    queue,
    (msg) => {
      if (!msg) return; // the consumer was cancelled (queue deleted at the end)
      const body = JSON.parse(msg.content.toString('utf8'));
      if (sameWork) {
        const h = msg.properties.headers ?? {};
        const parsed = contract.schema.safeParse(body);
        if (!parsed.success || h.cloudEvents_specversion !== '1.0' || typeof h['x-attempt'] !== 'number') throw new Error('bad message');
        onBody(parsed.data);
      } else {
        onBody(body);
      }
      sub.ack(msg);
    },
    { noAck: false },
  );
  return {
    name: sameWork ? 'raw, same work' : 'bare amqplib',
    publish: (body) =>
      new Promise((resolve, reject) => {
        let data = body;
        if (sameWork) {
          const parsed = contract.schema.safeParse(body);
          if (!parsed.success) throw new Error(parsed.error.message);
          data = parsed.data;
        }
        const messageId = randomUUID();
        const now = Date.now();
        const props = sameWork
          ? {
              persistent: true,
              messageId,
              type: TYPE,
              contentType: 'application/json',
              timestamp: Math.floor(now / 1000),
              appId: 'bench',
              correlationId: messageId,
              headers: {
                cloudEvents_specversion: '1.0',
                cloudEvents_id: messageId,
                cloudEvents_source: 'bench',
                cloudEvents_type: TYPE,
                cloudEvents_time: new Date(now).toISOString(),
                cloudEvents_dataschema: dataSchemaId(TYPE),
                'x-attempt': 1,
              },
            }
          : { persistent: true, messageId, type: TYPE, contentType: 'application/json', timestamp: Math.floor(now / 1000) };
        pub.publish(queue, TYPE, Buffer.from(JSON.stringify(data)), props, (err) => (err ? reject(err) : resolve()));
      }),
    close: async () => {
      await pub.deleteQueue(queue);
      await pub.deleteExchange(queue);
      await conn.close();
    },
  };
}

/** xauth's bus in a namespace of its own: the whole topology, one work queue consumed. */
async function xauthSide(onBody) {
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const logger = createLogger({ service: 'bench', silent: true });
  const bus = await Bus.connect({ url: args.url, namespace, service: 'bench', logger, metrics: new Metrics('bench') });
  await bus.subscribe(
    'orchestrator.authorization-results',
    {
      [TYPE]: async (body) => onBody(body),
    },
    { prefetch: PREFETCH },
  );
  return {
    name: "xauth's bus",
    publish: (body) => bus.publish(TYPE, body),
    close: async () => {
      await bus.close();
      const conn = await amqplib.connect(args.url);
      await deleteTopology(await conn.createChannel(), namespace, bus.retryTiersMs);
      await conn.close();
    },
  };
}

/** The broker's CPU time (ms) when it runs on this machine and /proc shows it; otherwise undefined. */
function brokerCpuMs() {
  const pids = pidsNamed('beam.smp');
  return pids.length ? pids.reduce((sum, pid) => sum + (procStat(pid)?.cpuMs ?? 0), 0) : undefined;
}

/**
 * Sets a side up, runs a warm-up (a new namespace's quorum queues are still settling in the broker),
 * then measures N messages: throughput, publish→handled latency, and the CPU this process and the
 * broker spent in that window only (set-up and tear-down excluded). Bodies are made beforehand.
 */
async function measure(makeSide) {
  let sentAt = new Map();
  let latencies = [];
  let expected = 0;
  let handled = 0;
  let done = () => {};
  const side = await makeSide((body) => {
    latencies.push(performance.now() - sentAt.get(body.jobId));
    if (++handled === expected) done();
  });
  const run = async (bodies) => {
    sentAt = new Map();
    latencies = [];
    handled = 0;
    expected = bodies.length;
    const all = new Promise((r) => {
      done = r;
    });
    await pipelined(bodies.length, WINDOW, async (i) => {
      sentAt.set(bodies[i].jobId, performance.now());
      await side.publish(bodies[i]);
    });
    await all;
  };
  await run(Array.from({ length: WARMUP }, payload));
  const bodies = Array.from({ length: N }, payload);
  const cpu0 = process.cpuUsage();
  const broker0 = brokerCpuMs();
  const started = performance.now();
  await run(bodies);
  const ended = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const broker1 = brokerCpuMs();
  await side.close();
  return {
    name: side.name,
    msgsPerSec: N / ((ended - started) / 1000),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    cpuUsPerMsg: (cpu.user + cpu.system) / N,
    brokerUsPerMsg: broker0 === undefined || broker1 === undefined ? undefined : ((broker1 - broker0) * 1000) / N,
  };
}

const us = (v) => (v === undefined ? '  n/a' : v.toFixed(0).padStart(5));
const fmt = (r) =>
  `${r.name.padEnd(15)} ${r.msgsPerSec.toFixed(0).padStart(8)} msgs/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   CPU µs/msg: client ${us(r.cpuUsPerMsg)}  broker ${us(r.brokerUsPerMsg)}`;

if (args.child) {
  // One run in a fresh process: neither side inherits the other's JIT state, heap or async hooks.
  const sides = { bare: (onBody) => rawSide(onBody, { sameWork: false }), raw: (onBody) => rawSide(onBody, { sameWork: true }), xauth: xauthSide };
  const r = await measure(sides[args.child]);
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

/** Runs one side in its own Node process and returns its figures. */
function runChild(side) {
  const out = execFileSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--child',
      side,
      '--messages',
      String(N),
      '--warmup',
      String(WARMUP),
      '--window',
      String(WINDOW),
      '--prefetch',
      String(PREFETCH),
      '--url',
      args.url,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out);
}

console.log(
  `bus benchmark: ${N} persistent ${BODY_BYTES}-byte messages per run after ${WARMUP} of warm-up, ${WINDOW} publishes in flight, prefetch ${PREFETCH}, quorum queue behind a topic exchange, ${ROUNDS} rounds, each run in its own process`,
);
const results = { bare: [], raw: [], xauth: [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const side of alternate(round, Object.keys(results))) {
    const r = runChild(side);
    results[side].push(r);
    console.log(`round ${round}  ${fmt(r)}`);
  }
}
const med = (rs) => ({
  name: rs[0].name,
  msgsPerSec: median(rs.map((r) => r.msgsPerSec)),
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  cpuUsPerMsg: median(rs.map((r) => r.cpuUsPerMsg)),
  brokerUsPerMsg: rs[0].brokerUsPerMsg === undefined ? undefined : median(rs.map((r) => r.brokerUsPerMsg)),
});
const [b, r, x] = [med(results.bare), med(results.raw), med(results.xauth)];
console.log('\nmedian of the rounds:');
for (const m of [b, r, x]) console.log(`  ${fmt(m)}`);
console.log(`xauth / raw doing the same work: ${(x.msgsPerSec / r.msgsPerSec).toFixed(2)} (target >= 0.90); p50 latency ratio ${(x.p50 / r.p50).toFixed(2)}`);
console.log(
  `xauth / bare amqplib (no envelope, no validation): ${(x.msgsPerSec / b.msgsPerSec).toFixed(2)}; raw same work / bare: ${(r.msgsPerSec / b.msgsPerSec).toFixed(2)}`,
);
