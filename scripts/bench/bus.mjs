#!/usr/bin/env node
// Benchmark: persistent 512-byte messages through xauth's bus (envelope, schema validation on
// publish and consume, publisher confirms, manual ack after the handler, quorum queue) and, in the
// same run against the same broker, through raw amqplib doing the same (confirm channel, quorum
// queue, manual ack). Prints msgs/s and p50/p99 publish→handled latency for both, and the ratio.
// Not a test: no assertions. `npm run bench:bus -- --messages 20000 --window 1000 --prefetch 500 --rounds 3`
import { randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { workQueueArguments } from '@xauth/contracts';
import { Bus, Metrics, createLogger, deleteTopology } from '@xauth/shared';
import { alternate, median, quantile } from './lib/figures.mjs';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    window: { type: 'string', default: '1000' },
    prefetch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'string' },
    url: { type: 'string', default: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
  },
});
const N = Number(args.messages);
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

function summarize(name, started, ended, latencies) {
  return { name, msgsPerSec: N / ((ended - started) / 1000), p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** Keeps at most `window` publishes awaiting confirms, as a pipelined producer does. */
async function pipelined(count, window, publishOne) {
  let next = 0;
  const lanes = Array.from({ length: window }, async () => {
    while (next < count) await publishOne(next++);
  });
  await Promise.all(lanes);
}

async function raw() {
  const conn = await amqplib.connect(args.url);
  const pub = await conn.createConfirmChannel();
  const sub = await conn.createChannel();
  const queue = `bench-raw-${randomBytes(4).toString('hex')}`;
  // The same route as xauth's: a durable topic exchange bound to a quorum queue.
  await pub.assertExchange(queue, 'topic', { durable: true });
  await pub.assertQueue(queue, { durable: true, arguments: workQueueArguments('bench-raw', 5) });
  await pub.bindQueue(queue, queue, 'authorization.attempt.failed');
  const sentAt = new Map();
  const latencies = [];
  let handled = 0;
  let done;
  const allHandled = new Promise((r) => { done = r; });
  await sub.prefetch(PREFETCH);
  await sub.consume(queue, (msg) => {
    if (!msg) return; // the consumer was cancelled (queue deleted at the end)
    const body = JSON.parse(msg.content.toString('utf8'));
    latencies.push(performance.now() - sentAt.get(body.jobId));
    sub.ack(msg);
    if (++handled === N) done();
  }, { noAck: false });
  const started = performance.now();
  await pipelined(N, WINDOW, (i) => new Promise((resolve, reject) => {
    const body = payload();
    sentAt.set(body.jobId, performance.now());
    pub.publish(queue, 'authorization.attempt.failed', Buffer.from(JSON.stringify(body)), {
      persistent: true, messageId: randomUUID(), type: 'authorization.attempt.failed', contentType: 'application/json', timestamp: Math.floor(Date.now() / 1000),
    }, (err) => (err ? reject(err) : resolve(i)));
  }));
  await allHandled;
  const ended = performance.now();
  await pub.deleteQueue(queue);
  await pub.deleteExchange(queue);
  await conn.close();
  return summarize('raw amqplib', started, ended, latencies);
}

async function xauth() {
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const logger = createLogger({ service: 'bench', silent: true });
  const bus = await Bus.connect({ url: args.url, namespace, service: 'bench', logger, metrics: new Metrics('bench') });
  const sentAt = new Map();
  const latencies = [];
  let handled = 0;
  let done;
  const allHandled = new Promise((r) => { done = r; });
  await bus.subscribe('orchestrator.authorization-results', {
    'authorization.attempt.failed': async (body) => {
      latencies.push(performance.now() - sentAt.get(body.jobId));
      if (++handled === N) done();
    },
  }, { prefetch: PREFETCH });
  const started = performance.now();
  await pipelined(N, WINDOW, async () => {
    const body = payload();
    sentAt.set(body.jobId, performance.now());
    await bus.publish('authorization.attempt.failed', body);
  });
  await allHandled;
  const ended = performance.now();
  await bus.close();
  const conn = await amqplib.connect(args.url);
  const ch = await conn.createChannel();
  await deleteTopology(ch, namespace, bus.retryTiersMs);
  await conn.close();
  return summarize("xauth's bus", started, ended, latencies);
}

const fmt = (r) => `${r.name.padEnd(12)} ${r.msgsPerSec.toFixed(0).padStart(8)} msgs/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   client CPU ${r.cpuUsPerMsg.toFixed(0).padStart(4)} µs/msg`;

if (args.child) {
  // One run in a fresh process: neither side inherits the other's JIT state, heap or async hooks.
  const cpu0 = process.cpuUsage();
  const r = await (args.child === 'raw' ? raw() : xauth());
  const cpu = process.cpuUsage(cpu0);
  r.cpuUsPerMsg = (cpu.user + cpu.system) / N;
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

/** Runs one side in its own Node process and returns its figures. */
function runChild(side) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', side,
    '--messages', String(N), '--window', String(WINDOW), '--prefetch', String(PREFETCH), '--url', args.url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out);
}

console.log(`bus benchmark: ${N} persistent ${BODY_BYTES}-byte messages per run, ${WINDOW} publishes in flight, prefetch ${PREFETCH}, quorum queue behind a topic exchange, ${ROUNDS} rounds, each run in its own process`);
const results = { raw: [], xauth: [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const side of alternate(round, ['raw', 'xauth'])) {
    const r = runChild(side);
    results[side].push(r);
    console.log(`round ${round}  ${fmt(r)}`);
  }
}
const med = (rs) => ({ name: rs[0].name, msgsPerSec: median(rs.map((r) => r.msgsPerSec)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), cpuUsPerMsg: median(rs.map((r) => r.cpuUsPerMsg)) });
const r = med(results.raw);
const x = med(results.xauth);
console.log('\nmedian of the rounds:');
console.log(`  ${fmt(r)}`);
console.log(`  ${fmt(x)}`);
console.log(`xauth / raw throughput: ${(x.msgsPerSec / r.msgsPerSec).toFixed(2)} (target >= 0.90); p50 latency ratio ${(x.p50 / r.p50).toFixed(2)}`);
