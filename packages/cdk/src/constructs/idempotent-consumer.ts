import { ENVIRONMENT_VARIABLES as ENV } from '@oncely/runtime/contract';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function.js';

/**
 * The consumer's code, in one of three forms (exactly one):
 * - `entry`: a module exporting the handler (e.g. `export const handler = lambdaConsumer({...})`),
 *   bundled locally by esbuild like `NodejsFunction`;
 * - `function`: an existing function; Oncely adds its event source mapping and grants, and the
 *   environment variables when it is a `lambda.Function` of this app (otherwise set them yourself
 *   from {@link IdempotentConsumer.environment});
 * - `functionProps`: properties of a new `lambda.Function` (your own code asset or image).
 */
export type ConsumerCode =
  | {
      /** Path of the handler module (TypeScript or JavaScript). */
      readonly entry: string;
      /** Exported name of the handler. @default 'handler' */
      readonly handler?: string;
      /** Not with `entry`. */
      readonly function?: never;
      /** Not with `entry`. */
      readonly functionProps?: never;
    }
  | {
      /** An existing function that exports the consumer handler. */
      readonly function: lambda.IFunction;
      /** Not with `function`. */
      readonly entry?: never;
      /** Not with `function`. */
      readonly functionProps?: never;
    }
  | {
      /** Oncely's defaults (arm64, tracing, timeout, memory) apply first, then these. */
      readonly functionProps: Omit<lambda.FunctionProps, 'role'> & {
        /** The function's role. @default - a new role that may write the function's log group */
        readonly role?: iam.IRole;
      };
      /** Not with `functionProps`. */
      readonly entry?: never;
      /** Not with `functionProps`. */
      readonly function?: never;
    };

/** Properties of {@link IdempotentConsumer}. */
export interface IdempotentConsumerProps {
  /** The consumer's code: an entry, an existing function, or function props. */
  readonly code: ConsumerCode;
  /** The source queue the event source mapping consumes. */
  readonly queue: sqs.IQueue;
  /** Where the consumer sends poison messages itself (`ONCELY_DLQ_URL`). */
  readonly deadLetterQueue: sqs.IQueue;
  /** Where the consumer claims each message (`ONCELY_CLAIMS_TABLE`). */
  readonly claimsTable: dynamodb.ITable;
  /** Holds the degradation level the scaler sets. @default - no degradation: every step runs */
  readonly controlTable?: dynamodb.ITable;
  /** Your tables the handler writes to (get, put, update, condition check; no scans, no deletes). @default [] */
  readonly grantWrite?: readonly dynamodb.ITable[];
  /** Your tables the handler reads (get, query). @default [] */
  readonly grantRead?: readonly dynamodb.ITable[];
  /** Function timeout. @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Records per invocation. @default 10 */
  readonly batchSize?: number;
  /** @default Duration.seconds(0) */
  readonly maxBatchingWindow?: Duration;
  /** On-demand pollers: the mapping's initial ScalingConfig.MaximumConcurrency (at least 2). @default 2 */
  readonly maximumConcurrency?: number;
  /** Provisioned pollers instead of the on-demand ScalingConfig. @default - on-demand */
  readonly provisionedPollers?: {
    /** MinimumPollers. */
    readonly minimum: number;
    /** The initial MaximumPollers (the scaler changes it). */
    readonly maximum: number;
  };
  /** @default - the unreserved pool */
  readonly reservedConcurrency?: number;
  /** More environment variables (yours, the service name, the metrics namespace). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** What the claim protocol does to the claims table: claim, complete, release, read a duplicate. */
const CLAIM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;
/**
 * What a handler's writes need (single writes or a transaction of them): no Scan, no batch writes,
 * no deletes (grant those on the function yourself if your effect deletes items).
 */
export const WRITE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
] as const;
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;

/**
 * The consumer function and its SQS event source mapping: partial batch responses, bounded
 * concurrency (or provisioned pollers), and grants for exactly what the claim protocol does: claim
 * in the claims table, read the degradation level, consume the source queue and send poison
 * messages to the DLQ, plus what you grant on your own tables.
 */
export class IdempotentConsumer extends Construct {
  /** The consumer function (stack output `ConsumerFunctionName`). */
  readonly function: lambda.IFunction;
  /** Its SQS event source mapping (stack output `EventSourceMappingId`). */
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The environment variables the runtime's `lambdaConsumer` reads. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: IdempotentConsumerProps) {
    super(scope, id);
    this.environment = {
      ...props.environment,
      [ENV.queueUrl]: props.queue.queueUrl,
      [ENV.deadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
      [ENV.claimsTable]: props.claimsTable.tableName,
      ...(props.controlTable ? { [ENV.controlTable]: props.controlTable.tableName } : {}),
    };
    const fn = this.createFunction(props);

    props.claimsTable.grant(fn, ...CLAIM_ACTIONS);
    for (const table of props.grantWrite ?? []) table.grant(fn, ...WRITE_ACTIONS);
    for (const table of props.grantRead ?? []) table.grant(fn, ...READ_ACTIONS);
    props.controlTable?.grant(fn, 'dynamodb:GetItem');
    props.queue.grantConsumeMessages(fn);
    props.deadLetterQueue.grantSendMessages(fn);

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'Mapping', {
      target: fn,
      eventSourceArn: props.queue.queueArn,
      batchSize: props.batchSize ?? 10,
      ...(props.maxBatchingWindow && props.maxBatchingWindow.toSeconds() > 0
        ? { maxBatchingWindow: props.maxBatchingWindow }
        : {}),
      reportBatchItemFailures: true,
      ...(props.provisionedPollers
        ? {
            provisionedPollerConfig: {
              minimumPollers: props.provisionedPollers.minimum,
              maximumPollers: props.provisionedPollers.maximum,
            },
          }
        : { maxConcurrency: props.maximumConcurrency ?? 2 }),
    });
    Validations.of(this.eventSourceMapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'Lambda offers no on-failure destination for SQS event sources; the queue redrive policy (maxReceiveCount) moves failed messages to the DLQ, and the consumer sends poison messages there itself.',
    });
    this.function = fn;
  }

  private createFunction(props: IdempotentConsumerProps): lambda.IFunction {
    const { code } = props;
    if (code.function) {
      // Only a function defined in this app can take environment variables.
      if (code.function instanceof lambda.Function)
        for (const [name, value] of Object.entries(this.environment))
          code.function.addEnvironment(name, value);
      return code.function;
    }
    const description =
      'Oncely consumer: claims each message, applies it once, reports partial batch failures';
    const syncOnlyReason =
      'Invoked synchronously by its SQS event source mapping; failed messages reach the DLQ through the queue redrive policy.';
    if (code.functionProps) {
      // Oncely's defaults first (an explicit log group with retention, a role that may only write
      // to it), then the caller's properties, then the environment the runtime needs.
      const logGroup: logs.ILogGroup =
        (code.functionProps.logGroup as logs.ILogGroup | undefined) ??
        new logs.LogGroup(this, 'Logs', {
          retention: (props.logRetentionDays ?? 30) as logs.RetentionDays,
          removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        });
      const role =
        code.functionProps.role ??
        new iam.Role(this, 'Role', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          description: `Runs ${description}`,
        });
      if (!code.functionProps.role && typeof logGroup.grantWrite === 'function') logGroup.grantWrite(role);
      const fn = new lambda.Function(this, 'Function', {
        description,
        architecture: lambda.Architecture.ARM_64,
        tracing: lambda.Tracing.ACTIVE,
        timeout: props.timeout ?? Duration.seconds(30),
        memorySize: props.memorySize ?? 512,
        ...(props.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: props.reservedConcurrency }
          : {}),
        ...code.functionProps,
        logGroup,
        role,
        environment: { ...code.functionProps.environment, ...this.environment },
      });
      Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason: syncOnlyReason });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      });
      return fn;
    }
    return new PipelineFunction(this, 'Handler', {
      code: { entry: code.entry, ...(code.handler ? { handler: code.handler } : {}) },
      description,
      environment: this.environment,
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.memorySize ? { memorySize: props.memorySize } : {}),
      ...(props.logRetentionDays ? { logRetentionDays: props.logRetentionDays } : {}),
      ...(props.removalPolicy ? { logRemovalPolicy: props.removalPolicy } : {}),
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      syncOnlyReason,
    }).function;
  }
}
