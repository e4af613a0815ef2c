/**
 * `@oncely/runtime/aws`: the AWS adapters of the runtime's ports (SQS, DynamoDB, Lambda,
 * CloudWatch), built over AWS SDK v3 clients you pass in or that {@link createAwsClients} builds.
 *
 * @packageDocumentation
 */

export * from './adapters/aws-audit-dependencies.js';
export * from './adapters/aws-clients.js';
export * from './adapters/aws-producer.js';
export * from './adapters/degradation-reader.js';
export * from './adapters/dynamodb-audit-store.js';
export * from './adapters/dynamodb-claim-status-reader.js';
export * from './adapters/dynamodb-claim-store.js';
export * from './adapters/dynamodb-lease-store.js';
export * from './adapters/dynamodb-outbox-store.js';
export * from './adapters/emf-telemetry.js';
export * from './adapters/sqs-dead-letter-queue.js';
export * from './adapters/sqs-event-records.js';
export * from './adapters/sqs-message-actions.js';
export * from './adapters/sqs-publisher.js';
export * from './adapters/sqs-queue-inspector.js';
