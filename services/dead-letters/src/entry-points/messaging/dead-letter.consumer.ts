import { DEAD_LETTER_QUEUE, queueName } from '@xauth/contracts';
import { readEnvelope, type Bus, type EntryPoint, type RawConsumer } from '@xauth/shared';
import { readDeadLetter } from '../../domain/dead-letter.rule.js';
import type { DeadLetterRecord } from '../../domain/model.js';
import type { DeadLetterStore } from '../../domain/ports.js';
import { storeDeadLetter } from '../../domain/store-dead-letter.use-case.js';

/**
 * Consumes `<namespace>.dead-letters` raw (every type, valid or not, is a dead letter to keep) and
 * acks each delivery only after its row is committed; a failed insert returns it to the queue.
 */
export function deadLetterConsumer(deps: {
  bus: Bus;
  store: DeadLetterStore;
  prefetch: number;
  shutdownTimeoutMs: number;
  onStored?: (r: DeadLetterRecord) => void;
}): EntryPoint {
  let consumer: RawConsumer | undefined;
  const queue = queueName(deps.bus.namespace, DEAD_LETTER_QUEUE);
  return {
    name: `consumer:${queue}`,
    start: async () => {
      consumer = await deps.bus.consumeRaw(
        queue,
        async (msg) => {
          const { envelope } = readEnvelope(msg);
          await storeDeadLetter(
            { store: deps.store, logger: deps.bus.logger, onStored: deps.onStored },
            readDeadLetter(msg, envelope.messageId, deps.bus.namespace),
          );
        },
        { prefetch: deps.prefetch },
      );
    },
    stop: async () => {
      await consumer?.stop(deps.shutdownTimeoutMs);
    },
  };
}
