/**
 * `@oncely/cdk`: AWS CDK constructs for Oncely. {@link OncelyPipeline} wraps your SQS consumer with
 * exactly-once claims, a dead-letter queue, loss auditing, backlog scaling, alarms and a dashboard;
 * the smaller constructs it is made of are exported for composition.
 *
 * @packageDocumentation
 */

export * from './constructs/backlog-scaling.js';
export * from './constructs/idempotent-consumer.js';
export * from './constructs/loss-auditor.js';
export * from './constructs/outbox-relay.js';
export * from './constructs/pipeline-alarms.js';
export * from './constructs/pipeline-dashboard.js';
export * from './constructs/pipeline-function.js';
export * from './constructs/pipeline-tables.js';
export * from './constructs/reliable-queue.js';
export * from './constructs/scheduled-invocation.js';
export * from './oncely-pipeline.js';
export * from './settings.js';
