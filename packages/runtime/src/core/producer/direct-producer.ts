/**
 * Direct mode: stamp, send through the batching sender, resolve once SQS acknowledged. A message
 * SQS will not take after every retry goes to the outbox for the relay; if even that fails, its
 * sequence number is voided on record before the caller hears about it. So every stamped number
 * ends up delivered, queued in the outbox, or explicitly voided.
 */
import type { Envelope } from '../envelope.js';
import type { BatchingSender } from './batching-sender.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { DEFAULT_COMPENSATION_DEADLINE_MS, newOutboxItem } from './outbox-item.js';
import type { OutboxStore, ProducerClock, ProducerMetrics } from './ports.js';
import { systemProducerClock } from './ports.js';
import { assertFitsInMessage, MAX_MESSAGE_BYTES, toQueueMessage } from './queue-message.js';

export interface DirectProducerOptions {
  readonly keeper: LeaseKeeper;
  readonly sender: BatchingSender;
  /** FIFO queue: key -> MessageGroupId, id -> MessageDeduplicationId. */
  readonly fifo: boolean;
  /** Fallback for messages SQS would not take (and the send log). Without it such a publish fails (voided). */
  readonly outbox?: OutboxStore;
  /**
   * Also record every acknowledged envelope in the outbox as SENT, so compensation can re-send it
   * if the consumer never completes it. Costs one DynamoDB write per message. @default false
   */
  readonly sendLog?: boolean;
  /** Compensation looks at send-log items after this long. @default 300_000 */
  readonly compensationDeadlineMs?: number;
  /** @default 262_144 */
  readonly maxMessageBytes?: number;
  readonly clock?: ProducerClock;
  readonly metrics?: ProducerMetrics;
  /** Where trouble is reported (a lost send-log write). @default console.error */
  readonly log?: (message: string, detail?: unknown) => void;
}

export interface PublishOptions {
  /** Ordering key (FIFO MessageGroupId). */
  readonly key: string;
}

export interface PublishReceipt<TPayload = unknown> {
  readonly envelope: Envelope<TPayload>;
  /** `queue`: SQS acknowledged it. `outbox`: SQS would not, so the relay will deliver it. */
  readonly via: 'queue' | 'outbox';
}

/** Neither SQS nor the outbox took the message; its sequence number was voided. */
export class PublishFailedError extends Error {
  override readonly name = 'PublishFailedError';
  constructor(
    readonly envelope: Envelope,
    cause: unknown,
  ) {
    super(`Event ${envelope.type} ${envelope.id} (${envelope.producer}#${envelope.seq}) was not published`, {
      cause,
    });
  }
}

export class DirectProducer {
  private readonly clock: ProducerClock;
  private readonly log: (message: string, detail?: unknown) => void;

  constructor(private readonly options: DirectProducerOptions) {
    this.clock = options.clock ?? systemProducerClock;
    this.log = options.log ?? ((message, detail) => console.error(message, detail));
  }

  /**
   * Publishes one event. Business code supplies type, payload and key; the envelope's id,
   * producer, seq and occurredAt are stamped here.
   *
   * @example
   * await producer.publish('points.deduct', { accountId, amount, orderId }, { key: accountId });
   */
  async publish<TPayload>(
    type: string,
    payload: TPayload,
    { key }: PublishOptions,
  ): Promise<PublishReceipt<TPayload>> {
    const draft = { type, payload, key };
    // Before stamping: a message that cannot fit must not consume a sequence number.
    assertFitsInMessage(draft, this.options.maxMessageBytes ?? MAX_MESSAGE_BYTES);
    const envelope = await this.options.keeper.stamp(draft);
    try {
      await this.options.sender.send(toQueueMessage(envelope, this.options.fifo));
    } catch (sendError) {
      return { envelope, via: await this.fallBackToOutbox(envelope, sendError) };
    }
    if (this.options.sendLog && this.options.outbox) {
      const now = this.clock.now();
      const item = newOutboxItem(envelope, 'SENT', now, {
        nextAttemptAt: now + (this.options.compensationDeadlineMs ?? DEFAULT_COMPENSATION_DEADLINE_MS),
      });
      // The message is delivered; a lost log entry only weakens compensation, so it must not fail the publish.
      await this.options.outbox.put([item]).catch((error: unknown) => {
        this.options.metrics?.count('SendLogWriteFailed', 1);
        this.log(`oncely producer: send-log write for ${envelope.id} failed`, error);
      });
    }
    return { envelope, via: 'queue' };
  }

  /** Waits for batched sends in flight. */
  flush(): Promise<void> {
    return this.options.sender.flush();
  }

  private async fallBackToOutbox(envelope: Envelope, sendError: unknown): Promise<'outbox'> {
    this.options.metrics?.count('PublishFellBackToOutbox', 1);
    try {
      if (!this.options.outbox) throw new Error('no outbox configured for direct mode');
      await this.options.outbox.put([newOutboxItem(envelope, 'PENDING', this.clock.now())]);
      return 'outbox';
    } catch (outboxError) {
      const reason = `send failed (${String(sendError)}); outbox failed (${String(outboxError)})`;
      try {
        await this.options.keeper.voidStamped([envelope], reason);
      } catch (voidError) {
        // Last resort: the log line itself is the trace of this sequence number.
        this.options.metrics?.count('SequenceVoidFailed', 1);
        this.log(`oncely producer: could not void ${envelope.producer}#${envelope.seq}`, {
          envelope,
          voidError,
        });
      }
      throw new PublishFailedError(envelope, sendError);
    }
  }
}
