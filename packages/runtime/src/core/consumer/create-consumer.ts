/**
 * `createConsumer`: a Lambda SQS handler that applies each message's effect once, reporting partial
 * batch failures (`ReportBatchItemFailures` must be on for the event source mapping).
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type BackoffSettings, DEFAULT_BACKOFF } from './backoff.js';
import { runBatch } from './batch-runner.js';
import { mapWithConcurrency } from './concurrency.js';
import { CachedDegradationLevel } from './degradation.js';
import type { ConsumerMode, EventHandler } from './event-handlers.js';
import type { ClaimStore, ConsumerTelemetry, DegradationReader, MessageActions } from './ports.js';
import { isItemFailure, type RecordOutcome } from './record-outcome.js';
import { RecordProcessor } from './record-processor.js';

export interface ConsumerOptions {
  /** @default 'transactional' */
  readonly mode?: ConsumerMode;
  /** One handler per event type. */
  readonly handlers: readonly EventHandler[];
  readonly claims: ClaimStore;
  readonly messages: MessageActions;
  /** Where the degradation level comes from; without it the level is always `normal`. */
  readonly degradation?: DegradationReader;
  /** @default telemetry that discards everything */
  readonly telemetry?: ConsumerTelemetry;
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

export type SqsConsumerHandler = (
  event: SQSEvent,
  context?: RemainingTimeContext,
) => Promise<SQSBatchResponse>;

export const SILENT_TELEMETRY: ConsumerTelemetry = {
  count() {},
  latency() {},
  log() {},
  flush() {},
};

/**
 * Builds the handler. Build it once per Lambda instance (at cold start), not per invocation: it
 * caches the degradation level.
 *
 * @example
 * export const handler = createConsumer({
 *   mode: 'transactional',
 *   handlers: [pointsDeductHandler({ accountsTable, ledgerTable })],
 *   claims: new DynamoDbClaimStore(clients.documents, claimsTable),
 *   messages: new SqsMessageActions(clients.sqs, { deadLetterQueueUrl }),
 * });
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

  return async (event, context) => {
    const level = await degradation.current();
    const facts = {
      degradation: level,
      remainingTimeMs: () => context?.getRemainingTimeInMillis() ?? defaultLeaseMs,
      inFlight: new Map<string, Promise<unknown>>(),
    };
    const outcomes = await runBatch(event.Records, concurrency, async (record) => {
      const startedAt = now();
      const outcome = await processor.process(record, facts);
      telemetry.latency(now() - startedAt);
      return outcome;
    });
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

/** Best effort: if the visibility change fails the message still comes back, only sooner. */
async function delayRetry(
  messages: MessageActions,
  telemetry: ConsumerTelemetry,
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
