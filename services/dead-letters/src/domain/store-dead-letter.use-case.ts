import type { Logger } from '@xauth/shared';
import type { DeadLetterRecord } from './model.js';
import type { DeadLetterStore } from './ports.js';

/** Stores a dead letter once; a redelivery of one already stored changes nothing. Resolves after the commit. */
export async function storeDeadLetter(
  deps: { store: DeadLetterStore; logger: Logger; onStored?: (r: DeadLetterRecord) => void },
  record: DeadLetterRecord,
): Promise<void> {
  const created = await deps.store.insert(record);
  if (!created) {
    deps.logger.info('dead letter already stored; redelivery ignored', { messageId: record.messageId, queue: record.queue });
    return;
  }
  deps.onStored?.(record);
  deps.logger.info('dead letter stored', { messageId: record.messageId, queue: record.queue, routingKey: record.routingKey, errorCode: record.errorCode });
}
