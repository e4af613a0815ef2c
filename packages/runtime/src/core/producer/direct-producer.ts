/**
 * Direct mode: stamp, send through the batching sender, resolve once SQS acknowledged. A message
 * SQS will not take after every retry goes to the outbox for the relay; if even that fails, its
 * sequence number is voided on record before the caller hears about it. So every stamped number
 * ends up delivered, queued in the outbox, or explicitly voided.
 */
import type { Envelope } from '../envelope.js';
import { describeError, reportFailure, SILENT_TELEMETRY, type Telemetry } from '../telemetry.js';
import type { BatchingSender } from './batching-sender.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { DEFAULT_COMPENSATION_DEADLINE_MS, newOutboxItem } from './outbox-item.js';
import type { OutboxStore, ProducerClock } from './ports.js';
import { systemProducerClock } from './ports.js';
import { assertFitsInMessage, type EventDraft, MAX_MESSAGE_BYTES, toQueueMessage } from './queue-message.js';

/** Options of {@link DirectProducer}. */
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
  /** Where trouble is reported (a lost send-log write, a fallback, a failed void). @default SILENT_TELEMETRY */
  readonly telemetry?: Telemetry;
}

/** What an acknowledged publish returns: the stamped envelope, and which way it went. */
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

/**
 * Direct mode over the producer's ports (see the module comment); `createProducer` wires it to AWS.
 *
 * @example
 * const producer = new DirectProducer({ keeper, sender, fifo: false, outbox });
 * const { envelope, via } = await producer.publish({ type: 'inventory.reserve', key: sku, payload });
 */
export class DirectProducer {
  private readonly clock: ProducerClock;
  private readonly telemetry: Telemetry;

  constructor(private readonly options: DirectProducerOptions) {
    this.clock = options.clock ?? systemProducerClock;
    this.telemetry = options.telemetry ?? SILENT_TELEMETRY;
  }

  /**
   * Publishes one event. Business code supplies type, payload and key; the envelope's id,
   * producer, seq and occurredAt are stamped here.
   *
   * @example
   * await producer.publish({ type: 'points.deduct', key: accountId, payload: { accountId, amount, orderId } });
   */
  async publish<TPayload>(draft: EventDraft<TPayload>): Promise<PublishReceipt<TPayload>> {
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
      await this.options.outbox.put([item]).catch((error: unknown) =>
        reportFailure(this.telemetry, 'SendLogWriteFailed', 'send-log write failed', error, {
          id: envelope.id,
        }),
      );
    }
    return { envelope, via: 'queue' };
  }

  /** Waits for batched sends in flight. */
  flush(): Promise<void> {
    return this.options.sender.flush();
  }

  private async fallBackToOutbox(envelope: Envelope, sendError: unknown): Promise<'outbox'> {
    this.telemetry.count('PublishFellBackToOutbox');
    this.telemetry.log('warn', 'SQS did not take the message; falling back to the outbox', {
      id: envelope.id,
      producer: envelope.producer,
      seq: envelope.seq,
      error: describeError(sendError),
    });
    this.telemetry.flush();
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
        reportFailure(
          this.telemetry,
          'SequenceVoidFailed',
          'could not void a stamped sequence number',
          voidError,
          {
            id: envelope.id,
            producer: envelope.producer,
            seq: envelope.seq,
          },
        );
      }
      throw new PublishFailedError(envelope, sendError);
    }
  }
}
