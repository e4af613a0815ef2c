/**
 * Outbox mode: business writes and outbox items commit in one transaction, then the events are
 * published eagerly; whatever the eager publish misses, the relay sweep sends later.
 */
import type { Envelope } from '../envelope.js';
import { describeError, reportFailure, SILENT_TELEMETRY, type Telemetry } from '../telemetry.js';
import { MAX_TRANSACTION_ACTIONS, type TransactionWrite } from '../transaction-write.js';
import type { BatchingSender } from './batching-sender.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { DEFAULT_COMPENSATION_DEADLINE_MS, newOutboxItem } from './outbox-item.js';
import type { OutboxStore, ProducerClock } from './ports.js';
import { systemProducerClock } from './ports.js';
import { assertFitsInMessage, type EventDraft, MAX_MESSAGE_BYTES, toQueueMessage } from './queue-message.js';

/** Options of {@link OutboxProducer}. */
export interface OutboxProducerOptions {
  readonly keeper: LeaseKeeper;
  readonly store: OutboxStore;
  readonly sender: BatchingSender;
  readonly fifo: boolean;
  /** Compensation re-sends items the consumer has not completed this long after they were sent. @default 300_000 */
  readonly compensationDeadlineMs?: number;
  /** @default 7 days */
  readonly retentionMs?: number;
  /** @default 262_144 */
  readonly maxMessageBytes?: number;
  readonly clock?: ProducerClock;
  /** @default SILENT_TELEMETRY */
  readonly telemetry?: Telemetry;
}

/** What a committed transaction returns. */
export interface TransactReceipt {
  readonly envelopes: Envelope[];
  /** How many events the eager publish delivered; the relay sends the rest. */
  readonly published: number;
}

/**
 * Outbox mode over the producer's ports (see the module comment); `createProducer` wires it to AWS.
 *
 * @example
 * const producer = new OutboxProducer({ keeper, store, sender, fifo: false });
 * await producer.transact([{ Put: { TableName: 'orders', Item: order, ConditionExpression: 'attribute_not_exists(pk)' } }], [event]);
 */
export class OutboxProducer {
  private readonly clock: ProducerClock;
  private readonly telemetry: Telemetry;

  constructor(private readonly options: OutboxProducerOptions) {
    this.clock = options.clock ?? systemProducerClock;
    this.telemetry = options.telemetry ?? SILENT_TELEMETRY;
  }

  /**
   * Commits `businessWrites` and one outbox item per event atomically, then publishes the events.
   * If a business condition fails, nothing is committed or published (the stamped sequence
   * numbers are voided) and BusinessConditionFailedError propagates.
   */
  async transact(
    businessWrites: readonly TransactionWrite[],
    events: readonly EventDraft[],
  ): Promise<TransactReceipt> {
    if (businessWrites.length + events.length > MAX_TRANSACTION_ACTIONS)
      throw new RangeError(
        `A transaction holds at most ${MAX_TRANSACTION_ACTIONS} writes and events together`,
      );
    for (const event of events) assertFitsInMessage(event, this.options.maxMessageBytes ?? MAX_MESSAGE_BYTES);
    const envelopes = events.length > 0 ? await this.options.keeper.stampAll(events) : [];
    const now = this.clock.now();
    const items = envelopes.map((envelope) =>
      newOutboxItem(envelope, 'PENDING', now, { retentionMs: this.options.retentionMs }),
    );
    try {
      await this.options.store.commit(businessWrites, items);
    } catch (error) {
      // Nothing was committed (or, on an unknown outcome, the relay will deliver it: voiding a
      // number that is later delivered only makes the auditor's count conservative).
      await this.options.keeper
        .voidStamped(envelopes, `transaction failed: ${error instanceof Error ? error.name : String(error)}`)
        .catch((voidError: unknown) =>
          reportFailure(
            this.telemetry,
            'SequenceVoidFailed',
            'could not void stamped sequence numbers',
            voidError,
            {
              // The log line is the last trace of these numbers: the auditor will report them missing.
              stamped: envelopes.map(({ id, producer, seq }) => ({ id, producer, seq })),
            },
          ),
        );
      throw error;
    }
    const published = await this.publishEagerly(envelopes);
    return { envelopes, published };
  }

  private async publishEagerly(envelopes: readonly Envelope[]): Promise<number> {
    const results = await Promise.allSettled(
      envelopes.map(async (envelope) => {
        await this.options.sender.send(toQueueMessage(envelope, this.options.fifo));
        const sentAt = this.clock.now();
        await this.options.store.update(envelope.id, 'PENDING', {
          status: 'SENT',
          sentAt,
          attempts: 0,
          nextAttemptAt: sentAt + (this.options.compensationDeadlineMs ?? DEFAULT_COMPENSATION_DEADLINE_MS),
        });
      }),
    );
    const published = results.filter((result) => result.status === 'fulfilled').length;
    // Unsent or unmarked items stay PENDING; the relay sweep takes them from here.
    const missed = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (missed.length > 0) {
      this.telemetry.count('EagerPublishMissed', missed.length);
      this.telemetry.log('warn', 'eager publish missed; the outbox relay will send', {
        missed: missed.length,
        error: describeError(missed[0]),
      });
      this.telemetry.flush();
    }
    return published;
  }
}
