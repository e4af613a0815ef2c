/**
 * `@oncely/runtime`: exactly-once consumers and loss-proof producers. The root entry is the pure
 * core (no AWS SDK import): handlers, the consumer and producer logic, their ports, the auditor and
 * the scaling policy. The AWS adapters and `createProducer` live in `@oncely/runtime/aws`, the ready
 * Lambda handlers (`lambdaConsumer`, ...) in `@oncely/runtime/lambda`, and the names shared with the
 * CDK constructs in `@oncely/runtime/contract`.
 *
 * @packageDocumentation
 */

// Audit
export type {
  AuditFinding,
  AuditReport,
  AuditStore,
  Classification,
  OutboxRecord,
  ProducerStream,
  QueueInspector,
  QueueSighting,
  Republisher,
  StreamAuditSummary,
  StreamCheckpoint,
  StreamClaim,
} from './core/audit/audit-model.js';
export { type AuditDependencies, type AuditOptions, runAudit } from './core/audit/auditor.js';
// Consumer
export type { BackoffSettings } from './core/consumer/backoff.js';
export {
  type ConsumerOptions,
  createConsumer,
  type RemainingTimeContext,
  type SqsConsumerHandler,
} from './core/consumer/create-consumer.js';
export { defaultMessageKey, type MessageInfo } from './core/consumer/delivery.js';
export { RejectedError } from './core/consumer/errors.js';
export {
  type ClaimTarget,
  type ConsumerMode,
  defineHandler,
  type EventHandler,
  type HandlerContext,
  type HandlerEffect,
} from './core/consumer/event-handlers.js';
export type {
  CancellationReason,
  ClaimAttempt,
  ClaimRecord,
  ClaimStore,
  CommitResult,
  ConsumerMetric,
  DegradationReader,
  MessageActions,
  PoisonDelivery,
  PoisonReason,
  RecordClaim,
  RecordClaimAttempt,
  RecordClaimStore,
  SqsMessageAttribute,
  SqsRecordRef,
} from './core/consumer/ports.js';
export { REASON_RECORD_ATTRIBUTE } from './core/consumer/ports.js';
export type { MessageFormat, ReceivedMessage } from './core/consumer/received-message.js';
// Envelope
export { ENVELOPE_ATTRIBUTES, type Envelope, envelopeSchema, POISON_ATTRIBUTES } from './core/envelope.js';
// Producer
export {
  BatchingSender,
  type BatchingSenderOptions,
  type BatchingSenderStats,
  SendExhaustedError,
} from './core/producer/batching-sender.js';
export {
  type CompensationReport,
  type CompensationSweepOptions,
  compensateUnacknowledged,
  republishFromOutbox,
} from './core/producer/compensation.js';
export {
  DirectProducer,
  type DirectProducerOptions,
  PublishFailedError,
  type PublishReceipt,
} from './core/producer/direct-producer.js';
export {
  LeaseKeeper,
  type LeaseKeeperOptions,
  LeaseUnavailableError,
  NoFreeWorkerIdError,
} from './core/producer/lease-keeper.js';
export {
  OutboxProducer,
  type OutboxProducerOptions,
  type TransactReceipt,
} from './core/producer/outbox-producer.js';
export {
  type RelaySweepOptions,
  type RelaySweepReport,
  relayPendingOutbox,
} from './core/producer/outbox-relay.js';
export {
  type BatchEntryFailure,
  BusinessConditionFailedError,
  type ClaimStatusQuery,
  type ClaimStatusReader,
  type Lease,
  type LeaseStore,
  type OutboxItem,
  type OutboxStore,
  type OutboxUpdate,
  type ProducerClock,
  type Publisher,
  type QueueMessage,
  type QueueMessageAttribute,
  systemProducerClock,
} from './core/producer/ports.js';
export {
  type EventDraft,
  isFifoQueueUrl,
  MAX_MESSAGE_BYTES,
  MessageTooLargeError,
  toQueueMessage,
} from './core/producer/queue-message.js';
// Scaling
export {
  type AlarmState,
  type AlarmStateChange,
  applyAlarmEvent,
  type ConcurrencyControl,
  decideScaling,
  parseAlarmStateChange,
  type ScalerOutcome,
  type ScalingDecision,
  type ScalingPolicy,
  type ScalingState,
  type ScalingStateStore,
  type ScalingStep,
  type StepAlarmRecord,
  scalingPolicySchema,
} from './core/scaling-policy.js';
// Unique ids
export {
  ClockMovedBackwardsError,
  decodeSnowflake,
  type SnowflakeClock,
  SnowflakeGenerator,
  type SnowflakeGeneratorOptions,
  systemSnowflakeClock,
} from './core/snowflake.js';
// Telemetry
export { type LogLevel, type MetricUnit, SILENT_TELEMETRY, type Telemetry } from './core/telemetry.js';
// Transaction writes
export {
  type AttributeValues,
  type ConditionCheckWrite,
  type CounterStep,
  type CounterWriteInput,
  counterWrite,
  type DeleteWrite,
  MAX_TRANSACTION_ACTIONS,
  type PutWrite,
  type TransactionWrite,
  type UpdateWrite,
  type WriteCondition,
} from './core/transaction-write.js';
