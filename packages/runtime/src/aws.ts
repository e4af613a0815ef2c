/**
 * `@oncely/runtime/aws`: `createProducer`, and the AWS adapters of the runtime's ports (SQS and
 * DynamoDB over AWS SDK v3 clients you pass in or that {@link createAwsClients} builds), the EMF
 * telemetry writer, and the queue tools the CLI is built on. Works in Lambda and in any Node.js
 * service.
 *
 * @packageDocumentation
 */

export { type AuditResources, createAuditDependencies } from './adapters/aws-audit-dependencies.js';
export {
  type AwsClientConfig,
  type AwsClients,
  type ClientOptions,
  createAwsClients,
  LOCAL_CREDENTIALS,
} from './adapters/aws-clients.js';
export {
  createProducer,
  type Producer,
  type ProducerClients,
  type ProducerOptions,
  type ProducerParts,
  type TransactionalProducer,
} from './adapters/aws-producer.js';
export { DynamoDbDegradationReader } from './adapters/degradation-reader.js';
export { DynamoDbAuditStore, type DynamoDbAuditStoreTables } from './adapters/dynamodb-audit-store.js';
export { DynamoDbClaimStatusReader } from './adapters/dynamodb-claim-status-reader.js';
export { DynamoDbClaimStore, type DynamoDbClaimStoreOptions } from './adapters/dynamodb-claim-store.js';
export { DynamoDbLeaseStore } from './adapters/dynamodb-lease-store.js';
export { DynamoDbOutboxStore } from './adapters/dynamodb-outbox-store.js';
export { DynamoDbScalingStateStore } from './adapters/dynamodb-scaling-state-store.js';
export { EmfTelemetry, type EmfTelemetryOptions } from './adapters/emf-telemetry.js';
export {
  type DeadLetter,
  describeDeadLetter,
  latestRedrive,
  listDeadLetters,
  MAX_RECEIVE_COUNT_REASON,
  queueArnOf,
  type RedriveTask,
  redriveSelected,
  type SelectiveRedriveOptions,
  type SelectiveRedriveResult,
  startRedrive,
  waitForRedrive,
} from './adapters/sqs-dead-letter-queue.js';
export { toSqsRecord } from './adapters/sqs-event-records.js';
export {
  OVERFLOW_ATTRIBUTE,
  SqsMessageActions,
  type SqsMessageActionsOptions,
} from './adapters/sqs-message-actions.js';
export { SqsPublisher } from './adapters/sqs-publisher.js';
export {
  type PeekOptions,
  peekMessages,
  type QueueCounts,
  readQueueCounts,
  SqsQueueInspector,
  type SqsQueueInspectorOptions,
} from './adapters/sqs-queue-inspector.js';
export { SqsRepublisher } from './adapters/sqs-republisher.js';
