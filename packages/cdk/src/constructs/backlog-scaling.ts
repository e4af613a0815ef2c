import type { ScalingPolicy } from '@oncely/runtime';
import { ENVIRONMENT_VARIABLES as ENV } from '@oncely/runtime/contract';
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function.js';

/** One backlog step: an alarm on visible messages and what the scaler does while it is the highest in ALARM. */
export interface BacklogStep {
  /** Visible messages at or above which the step's alarm fires. */
  readonly visibleMessages: number;
  /** Maximum concurrency the scaler sets while this is the highest step in ALARM. */
  readonly maximumConcurrency: number;
  /** Degradation level consumers apply while this is the highest step in ALARM. */
  readonly degradation: 'normal' | 'elevated' | 'critical';
}

/** Properties of {@link BacklogScaling}. */
export interface BacklogScalingProps {
  /** The source queue whose visible messages the alarms watch. */
  readonly queue: sqs.IQueue;
  /** Whether the queue is FIFO (then `expectedMessageGroups` caps the concurrency). */
  readonly fifo: boolean;
  /** The consumer function the event source mapping invokes. */
  readonly consumer: lambda.IFunction;
  /** The mapping whose maximum concurrency (or pollers) the scaler sets. */
  readonly eventSourceMapping: lambda.IEventSourceMapping;
  /** Where the scaler keeps the alarm states and writes the degradation level consumers read. */
  readonly controlTable: dynamodb.ITable;
  /** Keyed by step name, lowest backlog first. */
  readonly steps: Readonly<Record<'elevated' | 'high' | 'critical', BacklogStep>>;
  /** The concurrency with no backlog, and the scaler's lower bound (at least 2). */
  readonly floor: number;
  /** The scaler's upper bound, whatever the steps ask for. */
  readonly ceiling: number;
  /** The consumer's reserved concurrency, another upper bound. @default - none */
  readonly reservedConcurrency?: number;
  /** FIFO only: the estimated number of active message groups. */
  readonly expectedMessageGroups?: number;
  /** Set in provisioned poller mode: the scaler turns MaximumPollers instead of MaximumConcurrency. */
  readonly minimumPollers?: number;
  /** Receives alarm events EventBridge or Lambda could not deliver to the scaler. */
  readonly scaleDeadLetterQueue: sqs.IQueue;
  /** More environment variables of the scaler (service name, metrics namespace). */
  readonly environment: Readonly<Record<string, string>>;
  /** Memory of the scaler function, in MB. */
  readonly memorySize: number;
  /** Retention of the scaler's log group, in days. */
  readonly logRetentionDays: number;
  /** What `cdk destroy` does to the scaler's log group. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Backlog alarms on the source queue's visible messages (elevated / high / critical) and the scaler
 * they drive: an EventBridge rule sends each alarm's state changes to the scaler function, which
 * sets the event source mapping's maximum concurrency and the pipeline's degradation level.
 */
export class BacklogScaling extends Construct {
  /** The three step alarms; add actions to them, e.g. notify a human on `critical`. */
  readonly alarms: Readonly<Record<'elevated' | 'high' | 'critical', cloudwatch.Alarm>>;
  /** The scaler function (the built-in `scalerHandler`). */
  readonly scaler: lambda.IFunction;
  /** The policy the scaler receives in ONCELY_SCALING_POLICY (alarm names are deploy-time tokens). */
  readonly policy: ScalingPolicy;

  constructor(scope: Construct, id: string, props: BacklogScalingProps) {
    super(scope, id);
    const visible = props.queue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    });
    const alarm = (name: 'elevated' | 'high' | 'critical') =>
      new cloudwatch.Alarm(this, `${name[0]!.toUpperCase()}${name.slice(1)}Backlog`, {
        alarmDescription: `Oncely backlog ${name}: at least ${props.steps[name].visibleMessages} visible messages; drives the scaler`,
        metric: visible,
        threshold: props.steps[name].visibleMessages,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms = { elevated: alarm('elevated'), high: alarm('high'), critical: alarm('critical') };

    this.policy = {
      floor: props.floor,
      ceiling: props.ceiling,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrency: props.reservedConcurrency } : {}),
      queueType: props.fifo ? 'fifo' : 'standard',
      ...(props.expectedMessageGroups !== undefined
        ? { activeMessageGroups: props.expectedMessageGroups }
        : {}),
      mode: props.minimumPollers !== undefined ? 'provisioned-pollers' : 'maximum-concurrency',
      ...(props.minimumPollers !== undefined ? { minimumPollers: props.minimumPollers } : {}),
      steps: (['elevated', 'high', 'critical'] as const).map((name) => ({
        name,
        alarmName: this.alarms[name].alarmName,
        maximumConcurrency: props.steps[name].maximumConcurrency,
        degradation: props.steps[name].degradation,
      })),
    };

    const handler = new PipelineFunction(this, 'Scaler', {
      code: { builtIn: 'scalerHandler' },
      description: 'Oncely scaler: follows backlog alarms with consumer concurrency and degradation level',
      environment: {
        ...props.environment,
        [ENV.controlTable]: props.controlTable.tableName,
        [ENV.eventSourceMappingId]: props.eventSourceMapping.eventSourceMappingId,
        [ENV.consumerFunctionName]: props.consumer.functionName,
        [ENV.scalingPolicy]: Stack.of(this).toJsonString(this.policy),
      },
      timeout: Duration.seconds(30),
      memorySize: props.memorySize,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.removalPolicy,
      deadLetterQueue: props.scaleDeadLetterQueue,
    });
    this.scaler = handler.function;
    props.controlTable.grant(this.scaler, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    this.scaler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        resources: [props.eventSourceMapping.eventSourceMappingArn],
      }),
    );

    new events.Rule(this, 'AlarmStateChanges', {
      description: 'Oncely: backlog alarm state changes drive the scaler',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: Object.values(this.alarms).map((backlogAlarm) => backlogAlarm.alarmArn),
      },
      targets: [
        new targets.LambdaFunction(this.scaler, {
          deadLetterQueue: props.scaleDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
