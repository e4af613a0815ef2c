import { CLAIMS, OUTBOX, PARTITION_KEY } from '@oncely/runtime/contract';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Properties of {@link PipelineTables}. */
export interface PipelineTablesProps {
  /** Create the outbox table (for an outbox producer, its relay and compensation). @default false */
  readonly outbox?: boolean;
  /** Use these tables instead of creating them; each must have the key schema Oncely expects. @default - new tables */
  readonly existing?: {
    /** Claims table: partition key `pk` (string), TTL `expiresAt`, GSI `byProducer` (`producer` S, `seq` N). */
    readonly claims?: dynamodb.ITable;
    /** Control table: partition key `pk` (string). */
    readonly control?: dynamodb.ITable;
    /** Leases table: partition key `pk` (string). */
    readonly leases?: dynamodb.ITable;
    /** Outbox table: partition key `pk` (string), TTL `expiresAt`, GSI `byStatus` (`status` S, `createdAt` N). */
    readonly outbox?: dynamodb.ITable;
  };
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Oncely's own tables: on-demand, point-in-time recovery, string partition key `pk`, TTL where
 * records expire. Key and index names come from `@oncely/runtime/contract`, the names the runtime
 * uses too. Your business tables are yours: grant the consumer access through the pipeline.
 */
export class PipelineTables extends Construct {
  /** Consumer claims, one per message id; GSI `byProducer` for the auditor. */
  readonly claims: dynamodb.ITable;
  /** Small control items: degradation level, audit checkpoints. */
  readonly control: dynamodb.ITable;
  /** Producer worker-id leases (and stream high-water marks, which the auditor reads). */
  readonly leases: dynamodb.ITable;
  /** Outbox events; GSI `byStatus` for the relay and compensation sweeps. Set when enabled. */
  readonly outbox: dynamodb.ITable | undefined;

  constructor(scope: Construct, id: string, props: PipelineTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const existing = props.existing ?? {};
    const table = (name: string, timeToLiveAttribute?: string) =>
      new dynamodb.Table(this, name, {
        partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(timeToLiveAttribute ? { timeToLiveAttribute } : {}),
        removalPolicy,
      });

    this.claims =
      existing.claims ??
      (() => {
        const claims = table('Claims', CLAIMS.ttlAttribute);
        claims.addGlobalSecondaryIndex({
          indexName: CLAIMS.byProducerIndex,
          partitionKey: { name: 'producer', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'seq', type: dynamodb.AttributeType.NUMBER },
        });
        return claims;
      })();
    this.control = existing.control ?? table('Control');
    this.leases = existing.leases ?? table('Leases');
    this.outbox =
      existing.outbox ??
      (props.outbox
        ? (() => {
            const outbox = table('Outbox', OUTBOX.ttlAttribute);
            outbox.addGlobalSecondaryIndex({
              indexName: OUTBOX.byStatusIndex,
              partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
              sortKey: { name: 'createdAt', type: dynamodb.AttributeType.NUMBER },
            });
            return outbox;
          })()
        : undefined);
  }
}
