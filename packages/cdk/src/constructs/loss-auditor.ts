import { ENVIRONMENT_VARIABLES as ENV } from '@oncely/runtime/contract';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function.js';
import { ScheduledInvocation } from './scheduled-invocation.js';

/** Properties of {@link LossAuditor}. */
export interface LossAuditorProps {
  /** The source queue: peeked at for overdue messages, and where lost events are re-published. */
  readonly queue: sqs.IQueue;
  /** Peeked at, so dead-lettered messages are not reported missing. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The pipeline's tables the auditor reads (and the control table it writes checkpoints to). */
  readonly tables: {
    /** Consumers' claims, walked through their `byProducer` index. */
    readonly claims: dynamodb.ITable;
    /** Producers' leases: every producer stream and its high-water mark. */
    readonly leases: dynamodb.ITable;
    /** @default - no outbox: lost events are reported, not re-published */
    readonly outbox?: dynamodb.ITable;
    /** Audit checkpoints and the last report (read by `oncely status`). */
    readonly control: dynamodb.ITable;
  };
  /** How often the audit runs. */
  readonly every: Duration;
  /** The queues' customer managed key, when they use one (peeking needs kms:Decrypt). */
  readonly encryptionKey?: kms.IKey;
  /** Receives scheduled invocations that could not be delivered. */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  /** More environment variables of the auditor (service name, metrics namespace). */
  readonly environment: Readonly<Record<string, string>>;
  /** Memory of the auditor function, in MB. */
  readonly memorySize: number;
  /** Timeout of one audit run. */
  readonly timeout: Duration;
  /** Retention of the auditor's log group, in days. */
  readonly logRetentionDays: number;
  /** What `cdk destroy` does to the auditor's log group. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The loss auditor on a schedule: walks every producer stream in the claims table, peeks at the
 * source queue and DLQ so in-flight and dead-lettered messages are not reported missing, re-publishes
 * lost events from the outbox, and publishes `MessagesMissing`.
 */
export class LossAuditor extends Construct {
  /** The auditor function (the built-in `auditorHandler`). */
  readonly function: lambda.IFunction;

  constructor(scope: Construct, id: string, props: LossAuditorProps) {
    super(scope, id);
    const { tables } = props;
    const handler = new PipelineFunction(this, 'Handler', {
      code: { builtIn: 'auditorHandler' },
      description: 'Oncely loss auditor: finds gaps in producer streams and re-publishes lost events',
      environment: {
        ...props.environment,
        [ENV.queueUrl]: props.queue.queueUrl,
        [ENV.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        [ENV.claimsTable]: tables.claims.tableName,
        [ENV.leasesTable]: tables.leases.tableName,
        ...(tables.outbox ? { [ENV.outboxTable]: tables.outbox.tableName } : {}),
        [ENV.controlTable]: tables.control.tableName,
      },
      timeout: props.timeout,
      memorySize: props.memorySize,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.removalPolicy,
      deadLetterQueue: props.scheduleDeadLetterQueue,
    });
    const fn = handler.function;
    tables.claims.grantReadData(fn);
    tables.leases.grantReadData(fn);
    tables.outbox?.grantReadData(fn);
    tables.control.grantReadWriteData(fn);
    // Peeking (receive with visibility 0, never delete) tells in-flight and dead-lettered messages
    // from lost ones.
    props.queue.grant(fn, 'sqs:ReceiveMessage', 'sqs:GetQueueAttributes');
    props.deadLetterQueue.grant(fn, 'sqs:ReceiveMessage', 'sqs:GetQueueAttributes');
    props.encryptionKey?.grantDecrypt(fn);
    props.queue.grantSendMessages(fn);
    new ScheduledInvocation(this, 'Schedule', {
      target: fn,
      every: props.every,
      description: 'Oncely: loss audit',
      deadLetterQueue: props.scheduleDeadLetterQueue,
    });
    this.function = fn;
  }
}
