#!/usr/bin/env node
// `npm run login -- <accountId> [--force]`: what an upstream service does — publish
// user.login.requested on <namespace>.commands — then wait for the outcome event.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';

const accountId = process.argv[2];
if (!accountId) {
  console.error('usage: npm run login -- <accountId> [--force]');
  process.exit(2);
}
const ns = process.env.XAUTH_NAMESPACE ?? 'xauth';
const conn = await amqplib.connect(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const ch = await conn.createConfirmChannel();
const { queue } = await ch.assertQueue('', { exclusive: true });
for (const key of ['user.authenticated', 'user.authentication.failed']) await ch.bindQueue(queue, `${ns}.events`, `${key}.#`);
const requestId = randomUUID();
const outcome = new Promise((resolve) =>
  ch.consume(
    queue,
    (m) => {
      const body = JSON.parse(m.content.toString());
      if (body.requestId === requestId) resolve({ type: m.properties.type, body });
    },
    { noAck: true },
  ),
);
ch.publish(`${ns}.commands`, 'user.login.requested', Buffer.from(JSON.stringify({ requestId, accountId, force: process.argv.includes('--force') })), {
  persistent: true,
  contentType: 'application/json',
  messageId: randomUUID(),
  type: 'user.login.requested',
  appId: 'cli',
});
await ch.waitForConfirms();
console.log(`published user.login.requested ${requestId} for ${accountId}; waiting for the outcome...`);
const timer = setTimeout(() => {
  console.error('no outcome within 3 minutes');
  process.exit(1);
}, 180_000);
console.log(JSON.stringify(await outcome, null, 2));
clearTimeout(timer);
await conn.close();
