import { CLAIMS, OUTBOX, PARTITION_KEY } from '@oncely/runtime/contract';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Properties of {@link PipelineTables}. */
export interface PipelineTablesProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Every table of the pipeline: on-demand, point-in-time recovery, string partition key `pk`, TTL
 * where records expire. Key and index names come from packages/runtime/src/core/tables.ts, the contract the
 * runtime code uses too.
 */
export class PipelineTables extends Construct {
  /** Consumer claims, one per message id; GSI `byProducer` for the auditor. */
  readonly claims: dynamodb.ITable;
  /** Outbox events; GSI `byStatus` for the relay and compensation sweeps. */
  readonly outbox: dynamodb.ITable;
  /** Producer worker-id leases (and stream high-water marks). */
  readonly leases: dynamodb.ITable;
  /** Small control items: degradation level, audit checkpoints. */
  readonly control: dynamodb.ITable;
  /** Points example: balances. */
  readonly accounts: dynamodb.ITable;
  /** Points example: one entry per applied deduction. */
  readonly ledger: dynamodb.ITable;
  /** Trade example: orders. */
  readonly orders: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: PipelineTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const table = (name: string, timeToLiveAttribute?: string) =>
      new dynamodb.Table(this, name, {
        partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(timeToLiveAttribute ? { timeToLiveAttribute } : {}),
        removalPolicy,
      });

    const claims = table('Claims', CLAIMS.ttlAttribute);
    claims.addGlobalSecondaryIndex({
      indexName: CLAIMS.byProducerIndex,
      partitionKey: { name: 'producer', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'seq', type: dynamodb.AttributeType.NUMBER },
    });
    const outbox = table('Outbox', OUTBOX.ttlAttribute);
    outbox.addGlobalSecondaryIndex({
      indexName: OUTBOX.byStatusIndex,
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.NUMBER },
    });
    this.claims = claims;
    this.outbox = outbox;
    this.leases = table('Leases');
    this.control = table('Control');
    this.accounts = table('Accounts');
    this.ledger = table('Ledger');
    this.orders = table('Orders');
  }
}
