/** The idempotent consumer: pure logic and the ports its adapters implement. */
export { type BackoffSettings, DEFAULT_BACKOFF, retryDelaySeconds } from './backoff.js';
export { isFifoRecord, runBatch } from './batch-runner.js';
export {
  type ConsumerOptions,
  createConsumer,
  type RemainingTimeContext,
  type SqsConsumerHandler,
} from './create-consumer.js';
export { CachedDegradationLevel } from './degradation.js';
export { defaultMessageKey, type MessageInfo } from './delivery.js';
export { RejectedError } from './errors.js';
export {
  type ConsumerMode,
  defineHandler,
  type EventHandler,
  type HandlerContext,
  type HandlerEffect,
} from './event-handlers.js';
export { canonicalJson, payloadHash } from './payload-hash.js';
export type * from './ports.js';
export { REASON_RECORD_ATTRIBUTE } from './ports.js';
export type { MessageFormat, ReceivedMessage } from './received-message.js';
export type { RecordOutcome } from './record-outcome.js';
export { classifyCancellation } from './transaction-outcome.js';
