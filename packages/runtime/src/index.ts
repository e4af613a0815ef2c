/**
 * `@oncely/runtime`: exactly-once consumers and loss-proof producers. The root entry is pure logic
 * (no AWS SDK import); AWS adapters live in `@oncely/runtime/aws`, Lambda wiring in
 * `@oncely/runtime/lambda`, and the names shared with the CDK constructs in `@oncely/runtime/contract`.
 *
 * @packageDocumentation
 */

export type {
  AuditFinding,
  AuditReport,
  Classification,
  StreamAuditSummary,
} from './core/audit/audit-model.js';
export { type AuditDependencies, type AuditOptions, runAudit } from './core/audit/auditor.js';
export * from './core/consumer/index.js';
export * from './core/envelope.js';
export * from './core/producer/batching-sender.js';
export * from './core/producer/compensation.js';
export * from './core/producer/direct-producer.js';
export * from './core/producer/lease-keeper.js';
export * from './core/producer/outbox-producer.js';
export * from './core/producer/outbox-relay.js';
export * from './core/producer/ports.js';
export * from './core/producer/queue-message.js';
export * from './core/scaling-policy.js';
export * from './core/snowflake.js';
export {
  type AttributeValues,
  type ConditionCheckWrite,
  type DeleteWrite,
  MAX_TRANSACTION_ACTIONS,
  type PutWrite,
  type TransactionWrite,
  type UpdateWrite,
  type WriteCondition,
} from './core/transaction-write.js';
