/**
 * `createConsumer`: a Lambda SQS handler that applies each message's effect once, reporting partial
 * batch failures (`ReportBatchItemFailures` must be on for the event source mapping).
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CLAIMS } from '../tables.js';
import { SILENT_TELEMETRY, type Telemetry } from '../telemetry.js';
import { type BackoffSettings, DEFAULT_BACKOFF } from './backoff.js';
import { BatchCommitter, type ConsumedMessage } from './batch-commit.js';
import { runBatch } from './batch-runner.js';
import { mapWithConcurrency } from './concurrency.js';
import { CachedDegradationLevel } from './degradation.js';
import type { ConsumerMode, EventHandler } from './event-handlers.js';
import {
  type ClaimStore,
  type DegradationReader,
  isRecordClaimStore,
  type MessageActions,
  type RecordClaimStore,
} from './ports.js';
import type { ReceivedMessage } from './received-message.js';
import { chunkBySpan } from './record-claims.js';
import { isItemFailure, type RecordOutcome } from './record-outcome.js';
import { RecordProcessor } from './record-processor.js';

/** Options of {@link createConsumer}. */
export interface ConsumerOptions {
  /**
   * `transactional`: the handler returns its DynamoDB writes and the claim commits with them in one
   * transaction (exactly-once effect). `claim`: claim, run the handler, complete (for effects outside
   * DynamoDB; a crash between effect and completion can repeat the effect).
   * @default 'transactional'
   */
  readonly mode?: ConsumerMode;
  /** One handler per event type (see {@link defineHandler}). */
  readonly handlers: readonly EventHandler[];
  /** The claims table. */
  readonly claims: ClaimStore;
  /** The queue actions: poison to the DLQ, retry backoff. */
  readonly messages: MessageActions;
  /**
   * The claim key of a message that is not an Oncely envelope (plain JSON, SNS, EventBridge). An
   * envelope is always claimed under its id. Two deliveries with one key are applied once; two
   * different payloads under one key make the second poison (`id-reused-with-other-payload`).
   * @default the MessageDeduplicationId on a FIFO queue, else the SQS message id (see defaultMessageKey)
   * @example
   * key: (message) => message.wrapperId ?? message.record.messageId, // SNS MessageId / EventBridge id
   */
  readonly key?: (message: ReceivedMessage) => string;
  /**
   * The handler type of a message that is not an Oncely envelope; undefined makes it poison
   * (`unknown-type`).
   * @default the only handler when there is one; else `message.declaredType` (EventBridge
   * detail-type, SNS `type` attribute or Subject, SQS `type` attribute, body `type` field)
   */
  readonly typeOf?: (message: ReceivedMessage) => string | undefined;
  /**
   * Treat every message that is not an Oncely envelope as poison (`envelope-invalid`), for a
   * pipeline whose producers all stamp, so the loss audit covers every message it consumes.
   * @default false
   */
  readonly envelopesOnly?: boolean;
  /** Where the degradation level comes from; without it the level is always `normal`. */
  readonly degradation?: DegradationReader;
  /** Logs and metrics; flushed once per batch. @default SILENT_TELEMETRY */
  readonly telemetry?: Telemetry;
  /** Records processed at once (standard queues), or message groups at once (FIFO). @default 10 */
  readonly concurrency?: number;
  /** Retry backoff. @default { baseSeconds: 2, capSeconds: 900 } */
  readonly backoff?: Partial<BackoffSettings>;
  /** How long claims are kept (the TTL). @default 604800 (7 days) */
  readonly claimTtlSeconds?: number;
  /** Added to the invocation's remaining time to form the lease, for clock skew. @default 2000 */
  readonly leaseMarginMs?: number;
  /** Lease when there is no Lambda context (tests, scripts). @default 60000 */
  readonly defaultLeaseMs?: number;
  /** How long a read degradation level is trusted. @default 5000 */
  readonly degradationCacheMs?: number;
  /** Log payloads too (they may hold personal data). @default false */
  readonly logPayload?: boolean;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Uniform in [0, 1), for backoff jitter. @default Math.random */
  readonly random?: () => number;
  /** Owner tokens of claims. @default crypto.randomUUID */
  readonly newOwnerToken?: () => string;
}

/**
 * The slice of the Lambda context the consumer uses: how long the invocation has left, which bounds
 * the claim lease. Any Lambda `Context` satisfies it.
 */
export interface RemainingTimeContext {
  getRemainingTimeInMillis(): number;
}

/** A Lambda handler for SQS events that answers with the batch's item failures (ReportBatchItemFailures). */
export type SqsConsumerHandler = (
  event: SQSEvent,
  context?: RemainingTimeContext,
) => Promise<SQSBatchResponse>;

/**
 * Builds an SQS batch handler over the ports you give it; in Lambda, `lambdaConsumer` from
 * `@oncely/runtime/lambda` does this wiring from the environment for you. Build it once per
 * instance, not per invocation: it caches the degradation level.
 *
 * @example
 * const handle = createConsumer({
 *   handlers: [reserve],
 *   claims: new DynamoDbClaimStore(clients.documents, claimsTable),
 *   messages: new SqsMessageActions(clients.sqs, { deadLetterQueueUrl }),
 * });
 * const { batchItemFailures } = await handle(sqsEvent);
 */
export function createConsumer(options: ConsumerOptions): SqsConsumerHandler {
  const now = options.now ?? Date.now;
  const telemetry = options.telemetry ?? SILENT_TELEMETRY;
  const handlers = new Map<string, EventHandler>();
  for (const handler of options.handlers) {
    if (handlers.has(handler.type)) throw new Error(`Two handlers for event type '${handler.type}'`);
    handlers.set(handler.type, handler);
  }
  const processor = new RecordProcessor({
    mode: options.mode ?? 'transactional',
    handlers,
    foreignMessages: {
      key: options.key,
      typeOf: options.typeOf,
      envelopesOnly: options.envelopesOnly ?? false,
    },
    claims: options.claims,
    messages: options.messages,
    telemetry,
    now,
    random: options.random ?? Math.random,
    newOwnerToken: options.newOwnerToken ?? randomUUID,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    claimTtlSeconds: options.claimTtlSeconds ?? 7 * 24 * 3600,
    leaseMarginMs: options.leaseMarginMs ?? 2_000,
    logPayload: options.logPayload ?? false,
  });
  const degradation = new CachedDegradationLevel(
    options.degradation,
    now,
    options.degradationCacheMs ?? 5_000,
    (error) =>
      telemetry.log('warn', 'degradation level unreadable; keeping the last one', { error: String(error) }),
  );
  const concurrency = Math.max(1, options.concurrency ?? 10);
  const defaultLeaseMs = options.defaultLeaseMs ?? 60_000;
  const mode = options.mode ?? 'transactional';
  const claimsOnRecords = options.handlers.some((handler) => handler.claimOn !== undefined);
  if (claimsOnRecords && mode === 'transactional' && !isRecordClaimStore(options.claims))
    throw new Error(
      'A handler names claimOn, but the claims store cannot commit claims on business items (transact, readNumbers, readItem, putClaimOnly, logConsumed)',
    );
  const recordClaims =
    claimsOnRecords && mode === 'transactional' && isRecordClaimStore(options.claims)
      ? options.claims
      : undefined;
  const committer = recordClaims && new BatchCommitter(processor, recordClaims, now);

  return async (event, context) => {
    const level = await degradation.current();
    const facts = {
      degradation: level,
      remainingTimeMs: () => context?.getRemainingTimeInMillis() ?? defaultLeaseMs,
      inFlight: new Map<string, Promise<unknown>>(),
    };
    const consumed: ConsumedMessage[] = [];
    const outcomes = await runBatch(
      event.Records,
      concurrency,
      async (record) => {
        const startedAt = now();
        const outcome = await processor.process(record, facts);
        telemetry.record('ProcessingLatency', now() - startedAt, 'Milliseconds');
        return outcome;
      },
      committer &&
        (async (records, ordered) => {
          const startedAt = now();
          const results = await committer.processRun(records, facts, ordered, consumed);
          const perRecord = (now() - startedAt) / Math.max(1, records.length);
          for (const _ of records) telemetry.record('ProcessingLatency', perRecord, 'Milliseconds');
          return results;
        }),
    );
    if (recordClaims && consumed.length > 0)
      await logConsumption(recordClaims, consumed, outcomes, event.Records, now, telemetry, (record) =>
        processor.retry(record, 'consumption-log-failed', { messageId: record.messageId }),
      );
    const failures = event.Records.flatMap((record, index) => {
      const outcome = outcomes[index] as RecordOutcome;
      return isItemFailure(outcome) ? [{ record, outcome }] : [];
    });
    await mapWithConcurrency(failures, concurrency, ({ record, outcome }) =>
      delayRetry(options.messages, telemetry, record, outcome),
    );
    telemetry.flush();
    return { batchItemFailures: failures.map(({ record }) => ({ itemIdentifier: record.messageId })) };
  };
}

/**
 * Writes the consumption log of the messages whose claims ride on business items, before their
 * deliveries are acknowledged: the auditor reads it instead of a claim per message. A chunk that
 * cannot be written fails its messages, so they come back, are found duplicates and logged then.
 */
async function logConsumption(
  store: RecordClaimStore,
  consumed: readonly ConsumedMessage[],
  outcomes: RecordOutcome[],
  records: readonly SQSRecord[],
  now: () => number,
  telemetry: Telemetry,
  retry: (record: SQSRecord) => RecordOutcome,
): Promise<void> {
  const byProducer = new Map<string, ConsumedMessage[]>();
  for (const message of consumed) {
    const list = byProducer.get(message.producer) ?? [];
    list.push(message);
    byProducer.set(message.producer, list);
  }
  const writes = [...byProducer].flatMap(([producer, messages]) =>
    chunkBySpan(
      messages.map((message) => message.seq),
      CLAIMS.logSpan,
    ).map((seqs) => ({ producer, seqs, messages: messages.filter((message) => seqs.includes(message.seq)) })),
  );
  await Promise.all(
    writes.map(async ({ producer, seqs, messages }) => {
      try {
        await store.logConsumed(producer, seqs, now());
      } catch (error) {
        telemetry.log('warn', 'consumption log write failed; the messages will come back', {
          producer,
          seqs: seqs.length,
          error: String(error),
        });
        for (const message of messages) {
          const index = records.indexOf(message.record);
          if (index >= 0) outcomes[index] = retry(message.record);
        }
      }
    }),
  );
}

/** Best effort: if the visibility change fails the message still comes back, only sooner. */
async function delayRetry(
  messages: MessageActions,
  telemetry: Telemetry,
  record: SQSRecord,
  outcome: RecordOutcome,
): Promise<void> {
  if (!('delaySeconds' in outcome) || outcome.delaySeconds === undefined) return;
  try {
    await messages.changeVisibility(record, outcome.delaySeconds);
  } catch (error) {
    telemetry.log('warn', 'visibility change failed', { messageId: record.messageId, error: String(error) });
  }
}
