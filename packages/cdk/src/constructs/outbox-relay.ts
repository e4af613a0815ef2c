import { ENVIRONMENT_VARIABLES as ENV } from '@oncely/runtime/contract';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type BuiltInFunction, PipelineFunction } from './pipeline-function.js';
import { ScheduledInvocation } from './scheduled-invocation.js';

/** Properties of {@link OutboxRelay}. */
export interface OutboxRelayProps {
  /** The source queue the relay and compensation publish to. */
  readonly queue: sqs.IQueue;
  /** The outbox your producers commit events to (`createProducer({ outboxTable })`). */
  readonly outboxTable: dynamodb.ITable;
  /** The consumers' acknowledgements: compensation re-publishes what has no completed claim. */
  readonly claimsTable: dynamodb.ITable;
  /** Receives schedule invocations EventBridge could not deliver. */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  /** @default Duration.minutes(1) */
  readonly relayEvery?: Duration;
  /** @default Duration.minutes(5) */
  readonly compensationEvery?: Duration;
  /** More environment variables (service name, metrics namespace). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The producer side's reliable delivery ("two-way acknowledgement"): the outbox relay publishes
 * items your producer committed with its business change, and compensation re-publishes items
 * consumers have not completed within the deadline (the claims table is their acknowledgement).
 * Your producer itself is your code: `createProducer` of `@oncely/runtime/aws`, granted with
 * {@link OncelyPipeline.grantPublish}.
 */
export class OutboxRelay extends Construct {
  /** The relay function (the built-in `outboxRelayHandler`), on its schedule. */
  readonly relay: lambda.IFunction;
  /** The compensation function (the built-in `compensationHandler`), on its schedule. */
  readonly compensation: lambda.IFunction;

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    const { queue } = props;
    const make = (name: string, builtIn: BuiltInFunction, description: string, env: Record<string, string>) =>
      new PipelineFunction(this, name, {
        code: { builtIn },
        description,
        environment: { ...props.environment, [ENV.queueUrl]: queue.queueUrl, ...env },
        ...(props.memorySize ? { memorySize: props.memorySize } : {}),
        ...(props.logRetentionDays ? { logRetentionDays: props.logRetentionDays } : {}),
        ...(props.removalPolicy ? { logRemovalPolicy: props.removalPolicy } : {}),
        deadLetterQueue: props.scheduleDeadLetterQueue,
      }).function;

    this.relay = make('Relay', 'outboxRelayHandler', 'Oncely outbox relay: publishes pending items', {
      [ENV.outboxTable]: props.outboxTable.tableName,
    });
    props.outboxTable.grantReadWriteData(this.relay);
    queue.grantSendMessages(this.relay);

    this.compensation = make(
      'Compensation',
      'compensationHandler',
      'Oncely compensation: re-publishes events not consumed within the deadline',
      { [ENV.outboxTable]: props.outboxTable.tableName, [ENV.claimsTable]: props.claimsTable.tableName },
    );
    props.outboxTable.grantReadWriteData(this.compensation);
    props.claimsTable.grantReadData(this.compensation);
    queue.grantSendMessages(this.compensation);

    new ScheduledInvocation(this, 'RelaySchedule', {
      target: this.relay,
      every: props.relayEvery ?? Duration.minutes(1),
      description: 'Oncely: outbox relay sweep',
      deadLetterQueue: props.scheduleDeadLetterQueue,
    });
    new ScheduledInvocation(this, 'CompensationSchedule', {
      target: this.compensation,
      every: props.compensationEvery ?? Duration.minutes(5),
      description: 'Oncely: compensation sweep',
      deadLetterQueue: props.scheduleDeadLetterQueue,
    });
  }
}
