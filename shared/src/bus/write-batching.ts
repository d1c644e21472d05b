import type { Socket } from 'node:net';

/**
 * Sends what one tick of the event loop writes to a socket as one `writev`: amqplib writes every
 * frame (each publish, each ack) with a syscall of its own, which the client and the broker then
 * each pay per message. The socket is corked at the first write of a tick and uncorked on
 * `process.nextTick`, so nothing waits longer than the tick that wrote it.
 */
export function batchWritesPerTick(socket: Socket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as Socket['write'];
}
