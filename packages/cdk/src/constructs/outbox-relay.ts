import { ENVIRONMENT_VARIABLES as ENV } from '@oncely/runtime/contract';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FunctionCodeMode, PipelineFunction } from './pipeline-function.js';
import { ScheduledInvocation } from './scheduled-invocation.js';

/** Properties of {@link OutboxProducer}. */
export interface OutboxProducerProps {
  readonly entries: {
    readonly placeOrder: string;
    readonly outboxRelay: string;
    readonly compensation: string;
  };
  readonly queue: sqs.IQueue;
  readonly tables: {
    readonly outbox: dynamodb.ITable;
    readonly leases: dynamodb.ITable;
    readonly orders: dynamodb.ITable;
    readonly claims: dynamodb.ITable;
  };
  readonly relayEvery: Duration;
  readonly compensationEvery: Duration;
  /** Receives schedule invocations EventBridge could not deliver. */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
  readonly code: FunctionCodeMode;
}

/**
 * The trade example's producer side: `place-order` commits an order with its outbox item (or
 * publishes directly), the outbox relay publishes pending items, and compensation re-publishes items
 * consumers have not completed within the deadline (the claims table is their acknowledgement).
 */
export class OutboxProducer extends Construct {
  readonly placeOrder: lambda.IFunction;
  readonly outboxRelay: lambda.IFunction;
  readonly compensation: lambda.IFunction;

  constructor(scope: Construct, id: string, props: OutboxProducerProps) {
    super(scope, id);
    const { queue, tables } = props;
    const make = (
      name: string,
      entry: string,
      description: string,
      environment: Record<string, string>,
      invocation: { deadLetterQueue: sqs.IQueue } | { syncOnlyReason: string },
    ) =>
      new PipelineFunction(this, name, {
        ...invocation,
        entry,
        description,
        environment: { ...props.environment, ...environment },
        memorySize: props.memorySize,
        logRetentionDays: props.logRetentionDays,
        logRemovalPolicy: props.removalPolicy,
        code: props.code,
      }).function;

    this.placeOrder = make(
      'PlaceOrder',
      props.entries.placeOrder,
      'Oncely trade example: places an order',
      {
        [ENV.queueUrl]: queue.queueUrl,
        [ENV.outboxTable]: tables.outbox.tableName,
        [ENV.leasesTable]: tables.leases.tableName,
        [ENV.ordersTable]: tables.orders.tableName,
      },
      {
        syncOnlyReason:
          'Called synchronously by the trade service (RequestResponse), which sees and handles every error.',
      },
    );
    tables.orders.grantReadWriteData(this.placeOrder);
    tables.outbox.grantReadWriteData(this.placeOrder);
    tables.leases.grantReadWriteData(this.placeOrder);
    queue.grantSendMessages(this.placeOrder);

    this.outboxRelay = make(
      'OutboxRelay',
      props.entries.outboxRelay,
      'Oncely outbox relay: publishes pending items',
      {
        [ENV.queueUrl]: queue.queueUrl,
        [ENV.outboxTable]: tables.outbox.tableName,
      },
      { deadLetterQueue: props.scheduleDeadLetterQueue },
    );
    tables.outbox.grantReadWriteData(this.outboxRelay);
    queue.grantSendMessages(this.outboxRelay);

    this.compensation = make(
      'Compensation',
      props.entries.compensation,
      'Oncely compensation: re-publishes events not consumed within the deadline',
      {
        [ENV.queueUrl]: queue.queueUrl,
        [ENV.outboxTable]: tables.outbox.tableName,
        [ENV.claimsTable]: tables.claims.tableName,
      },
      { deadLetterQueue: props.scheduleDeadLetterQueue },
    );
    tables.outbox.grantReadWriteData(this.compensation);
    tables.claims.grantReadData(this.compensation);
    queue.grantSendMessages(this.compensation);

    new ScheduledInvocation(this, 'RelaySchedule', {
      target: this.outboxRelay,
      every: props.relayEvery,
      description: 'Oncely: outbox relay sweep',
      deadLetterQueue: props.scheduleDeadLetterQueue,
    });
    new ScheduledInvocation(this, 'CompensationSchedule', {
      target: this.compensation,
      every: props.compensationEvery,
      description: 'Oncely: compensation sweep',
      deadLetterQueue: props.scheduleDeadLetterQueue,
    });
  }
}
