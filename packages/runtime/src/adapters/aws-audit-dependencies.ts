/**
 * Builds the auditor's dependencies on AWS (DynamoDB store, SQS inspector and re-publisher) from
 * resource names, for the scheduled Lambda and the CLI alike.
 */
import type { AuditDependencies } from '../core/audit/auditor.js';
import type { AwsClients } from './aws-clients.js';
import { DynamoDbAuditStore } from './dynamodb-audit-store.js';
import { SqsQueueInspector } from './sqs-queue-inspector.js';
import { SqsRepublisher } from './sqs-republisher.js';

/** The resources an audit reads, by name (table names, queue URLs). */
export interface AuditResources {
  readonly claimsTable: string;
  readonly leasesTable: string;
  readonly controlTable: string;
  /** Without it missing messages cannot be re-published (reported `unrecoverable`). */
  readonly outboxTable?: string;
  /** Without the queues nothing can be ruled out, so nothing is reported missing. */
  readonly queueUrl?: string;
  readonly deadLetterQueueUrl?: string;
  /** Most messages peeked per queue and run. @default 1000 */
  readonly maxPeek?: number;
}

/**
 * The auditor's dependencies over the given clients.
 *
 * @example
 * const report = await runAudit(
 *   createAuditDependencies(clients, { claimsTable, leasesTable, controlTable, queueUrl, deadLetterQueueUrl }),
 *   { graceSeconds: 300 },
 * );
 */
export function createAuditDependencies(
  clients: Pick<AwsClients, 'sqs' | 'documents'>,
  resources: AuditResources,
  extra: Pick<AuditDependencies, 'progress' | 'telemetry'> & { readonly now?: () => number } = {},
): AuditDependencies {
  return {
    store: new DynamoDbAuditStore(clients.documents, {
      claims: resources.claimsTable,
      leases: resources.leasesTable,
      control: resources.controlTable,
      ...(resources.outboxTable ? { outbox: resources.outboxTable } : {}),
    }),
    inspector: new SqsQueueInspector(clients.sqs, {
      ...(resources.queueUrl ? { queueUrl: resources.queueUrl } : {}),
      ...(resources.deadLetterQueueUrl ? { deadLetterQueueUrl: resources.deadLetterQueueUrl } : {}),
      ...(resources.maxPeek ? { maxPeek: resources.maxPeek } : {}),
    }),
    ...(resources.queueUrl ? { republisher: new SqsRepublisher(clients.sqs, resources.queueUrl) } : {}),
    now: extra.now ?? Date.now,
    ...(extra.progress ? { progress: extra.progress } : {}),
    ...(extra.telemetry ? { telemetry: extra.telemetry } : {}),
  };
}
