import { ENVIRONMENT_VARIABLES as ENV } from '@oncely/runtime/contract';
import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FunctionCodeMode, PipelineFunction } from './pipeline-function.js';

/** Properties of {@link IdempotentConsumer}. */
export interface IdempotentConsumerProps {
  readonly entry: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly tables: {
    readonly claims: dynamodb.ITable;
    readonly control: dynamodb.ITable;
    /** Business tables the handler writes (the points example: accounts and ledger). */
    readonly business: Readonly<Record<string, { readonly table: dynamodb.ITable; readonly env: string }>>;
  };
  readonly timeout: Duration;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  /** On-demand pollers: the mapping's initial ScalingConfig.MaximumConcurrency (at least 2). */
  readonly maximumConcurrency: number;
  /** Provisioned pollers instead of the on-demand ScalingConfig. @default - on-demand */
  readonly provisionedPollers?: { readonly minimum: number; readonly maximum: number };
  /** @default - the unreserved pool */
  readonly reservedConcurrency?: number;
  /** Extra environment (service name, metrics namespace, consumer mode). */
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
  readonly code: FunctionCodeMode;
}

/**
 * The consumer function and its SQS event source mapping: partial batch responses, bounded
 * concurrency (or provisioned pollers), and grants for exactly what the claim protocol does:
 * read/write claims and business tables, read the degradation level, consume the source queue and
 * send poison messages to the DLQ.
 */
export class IdempotentConsumer extends Construct {
  readonly function: lambda.IFunction;
  readonly eventSourceMapping: lambda.EventSourceMapping;
  readonly logGroup: PipelineFunction['logGroup'];

  constructor(scope: Construct, id: string, props: IdempotentConsumerProps) {
    super(scope, id);
    const business = Object.values(props.tables.business);
    const handler = new PipelineFunction(this, 'Handler', {
      entry: props.entry,
      description: 'Oncely consumer: claims each message, applies it once, reports partial batch failures',
      timeout: props.timeout,
      memorySize: props.memorySize,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.removalPolicy,
      code: props.code,
      syncOnlyReason:
        'Invoked synchronously by its SQS event source mapping; failed messages reach the DLQ through the queue redrive policy.',
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      environment: {
        ...props.environment,
        [ENV.queueUrl]: props.queue.queueUrl,
        [ENV.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        [ENV.claimsTable]: props.tables.claims.tableName,
        [ENV.controlTable]: props.tables.control.tableName,
        ...Object.fromEntries(business.map(({ table, env }) => [env, table.tableName])),
      },
    });
    const fn = handler.function;

    props.tables.claims.grantReadWriteData(fn);
    for (const { table } of business) table.grantReadWriteData(fn);
    props.tables.control.grant(fn, 'dynamodb:GetItem');
    props.queue.grantConsumeMessages(fn);
    props.deadLetterQueue.grantSendMessages(fn);

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'Mapping', {
      target: fn,
      eventSourceArn: props.queue.queueArn,
      batchSize: props.batchSize,
      ...(props.maxBatchingWindow.toSeconds() > 0 ? { maxBatchingWindow: props.maxBatchingWindow } : {}),
      reportBatchItemFailures: true,
      ...(props.provisionedPollers
        ? {
            provisionedPollerConfig: {
              minimumPollers: props.provisionedPollers.minimum,
              maximumPollers: props.provisionedPollers.maximum,
            },
          }
        : { maxConcurrency: props.maximumConcurrency }),
    });
    Validations.of(this.eventSourceMapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'Lambda offers no on-failure destination for SQS event sources; the queue redrive policy (maxReceiveCount) moves failed messages to the DLQ, and the consumer sends poison messages there itself.',
    });
    this.function = fn;
    this.logGroup = handler.logGroup;
  }
}
