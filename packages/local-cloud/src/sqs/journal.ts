/**
 * What SQS records for `--data-dir` (persistence.ts): the effect of each change, made where the
 * engine makes it. Effects, not requests: replaying a SendMessage would draw a new message id, a
 * receive a new receipt handle and a new clock reading; the records carry what was decided.
 *
 * Recovery applies them to the plain snapshot shape (`SqsSnapshot`) and restores the engine from
 * the result once, so replay never goes through the engine's receive and visibility machinery,
 * and a FIFO group keeps its order (messages stay where they were inserted).
 */
import type { DedupEntry, QueueDefinition, SqsSnapshot } from './engine.js';
import type { MoveTaskState } from './move-tasks.js';
import type { StoredMessage } from './queue.js';

/** A delivery made by ReceiveMessage: the fields a receive changes. */
export interface DeliveryRecord {
  readonly id: string;
  readonly receipt: string;
  readonly dueAt: number;
  readonly receiveCount: number;
  readonly firstReceiveAt: number | undefined;
  readonly receivedAt: number | undefined;
}

/** The fields of a move task that change as it runs. */
export type MoveTaskProgress = Pick<
  MoveTaskState,
  'handle' | 'status' | 'moved' | 'cursor' | 'credit' | 'failureReason'
>;

export type SqsRecord =
  /** Created, or its attributes or tags changed: the whole definition. */
  | { readonly t: 'queue'; readonly queue: QueueDefinition }
  | { readonly t: 'deleteQueue'; readonly name: string; readonly at: number }
  | { readonly t: 'purge'; readonly name: string; readonly at: number }
  /** A message added (sent, or moved to a dead-letter or redrive destination queue). */
  | {
      readonly t: 'send';
      readonly queue: string;
      readonly message: StoredMessage;
      readonly dedup?: readonly [string, DedupEntry];
      readonly sequence?: number;
    }
  | { readonly t: 'receive'; readonly queue: string; readonly deliveries: readonly DeliveryRecord[] }
  | { readonly t: 'visibility'; readonly queue: string; readonly id: string; readonly dueAt: number }
  /** Deleted, expired, purged one by one, or moved away. */
  | { readonly t: 'delete'; readonly queue: string; readonly id: string }
  | { readonly t: 'task'; readonly task: MoveTaskState }
  | { readonly t: 'taskProgress'; readonly progress: MoveTaskProgress };

interface QueueModel {
  definition: QueueDefinition;
  readonly messages: Map<string, StoredMessage>;
  readonly dedup: Map<string, DedupEntry>;
  sequence: number;
  lastPurgeAt: number | undefined;
}

/** The state `records` lead to from `snapshot` (undefined: no queues). */
export function replaySqs(snapshot: SqsSnapshot | undefined, records: readonly SqsRecord[]): SqsSnapshot {
  const queues = new Map<string, QueueModel>();
  for (const saved of snapshot?.queues ?? []) {
    const { messages, dedup, sequence, lastPurgeAt, ...definition } = saved;
    queues.set(saved.name, {
      definition,
      messages: new Map(messages.map((message) => [message.id, message])),
      dedup: new Map(dedup),
      sequence,
      lastPurgeAt: lastPurgeAt ?? undefined,
    });
  }
  const deletedAt = new Map(snapshot?.deletedAt ?? []);
  const tasks = new Map((snapshot?.moveTasks ?? []).map((task) => [task.handle, task]));

  for (const record of records) {
    switch (record.t) {
      case 'queue': {
        const existing = queues.get(record.queue.name);
        if (existing) existing.definition = record.queue;
        else {
          queues.set(record.queue.name, {
            definition: record.queue,
            messages: new Map(),
            dedup: new Map(),
            sequence: 0,
            lastPurgeAt: undefined,
          });
          deletedAt.delete(record.queue.name);
        }
        break;
      }
      case 'deleteQueue':
        queues.delete(record.name);
        deletedAt.set(record.name, record.at);
        break;
      case 'purge': {
        const queue = queues.get(record.name);
        if (queue) {
          queue.messages.clear();
          queue.dedup.clear();
          queue.lastPurgeAt = record.at;
        }
        break;
      }
      case 'send': {
        const queue = queues.get(record.queue);
        if (!queue) break;
        queue.messages.set(record.message.id, record.message);
        if (record.dedup) queue.dedup.set(record.dedup[0], record.dedup[1]);
        if (record.sequence !== undefined) queue.sequence = record.sequence;
        break;
      }
      case 'receive': {
        const queue = queues.get(record.queue);
        for (const delivery of record.deliveries) {
          const message = queue?.messages.get(delivery.id);
          if (!message) continue;
          message.state = 'inflight';
          message.receipt = delivery.receipt;
          message.dueAt = delivery.dueAt;
          message.receiveCount = delivery.receiveCount;
          if (delivery.firstReceiveAt !== undefined) message.firstReceiveAt = delivery.firstReceiveAt;
          if (delivery.receivedAt !== undefined) message.receivedAt = delivery.receivedAt;
        }
        break;
      }
      case 'visibility': {
        const message = queues.get(record.queue)?.messages.get(record.id);
        if (message) message.dueAt = record.dueAt;
        break;
      }
      case 'delete':
        queues.get(record.queue)?.messages.delete(record.id);
        break;
      case 'task':
        tasks.set(record.task.handle, record.task);
        break;
      case 'taskProgress': {
        const task = tasks.get(record.progress.handle);
        if (task) Object.assign(task, record.progress);
        break;
      }
    }
  }

  return {
    queues: [...queues.values()].map((queue) => ({
      ...queue.definition,
      messages: [...queue.messages.values()],
      dedup: [...queue.dedup],
      sequence: queue.sequence,
      lastPurgeAt: queue.lastPurgeAt,
    })),
    deletedAt: [...deletedAt],
    moveTasks: [...tasks.values()],
  };
}
