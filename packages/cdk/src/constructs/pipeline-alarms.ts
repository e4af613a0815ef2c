import { METRICS_NAMESPACE, PIPELINE_METRICS, SERVICE_DIMENSION } from '@oncely/runtime/contract';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link PipelineAlarms}. */
export interface PipelineAlarmsProps {
  /** The source queue (age of the oldest message). */
  readonly queue: sqs.IQueue;
  /** The dead-letter queue (not empty). */
  readonly deadLetterQueue: sqs.IQueue;
  /** The consumer function (errors, throttles). */
  readonly consumer: lambda.IFunction;
  /** The `service` dimension of Oncely's custom metrics. */
  readonly serviceName: string;
  /** Namespace of Oncely's custom metrics (MessagesMissing, ...). @default 'Oncely' */
  readonly metricsNamespace?: string;
  /** More actions for every alarm, besides the topic (e.g. a Lambda or an OpsItem action). @default [] */
  readonly actions?: readonly cloudwatch.IAlarmAction[];
  /** @default 300 */
  readonly oldestMessageAgeSeconds?: number;
  /** @default 1 */
  readonly consumerErrorsThreshold?: number;
  /** @default 1 */
  readonly consumerThrottlesThreshold?: number;
  /** Existing topic for notifications. @default - a new topic */
  readonly topicArn?: string;
  /** Subscribed to the new topic. @default - no subscription */
  readonly email?: string;
  /**
   * Encrypts the new topic. Without one the topic is not encrypted at rest: CloudWatch alarms
   * cannot publish to a topic under the AWS managed SNS key, whose policy cannot grant CloudWatch.
   * @default - no encryption at rest (alarm names and states only)
   */
  readonly encryptionKey?: kms.IKey;
}

/** An Oncely custom metric (dimension `service`) in the pipeline's namespace. */
export function oncelyMetric(
  namespace: string,
  serviceName: string,
  metricName: string,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: serviceName },
    period: Duration.minutes(5),
    statistic: cloudwatch.Stats.SUM,
    ...options,
  });
}

/**
 * Alarms a human must look at, all notifying one SNS topic: messages in the DLQ, the oldest message
 * too old, consumer errors and throttles, messages missing (auditor), compensation exhausted.
 */
export class PipelineAlarms extends Construct {
  /** The topic every alarm notifies: a new one, or the one `topicArn` names. */
  readonly topic: sns.ITopic;
  /**
   * The alarms, by name: `deadLetters`, `oldestMessageAge`, `consumerErrors`, `consumerThrottles`,
   * `messagesMissing`, `compensationExhausted`.
   */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The topic's action and every extra action, in that order. */
  readonly actions: readonly cloudwatch.IAlarmAction[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    if (props.topicArn) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', props.topicArn);
    } else {
      const topic = new sns.Topic(this, 'Topic', {
        displayName: 'Oncely pipeline alarms',
        enforceSSL: true,
        ...(props.encryptionKey ? { masterKey: props.encryptionKey } : {}),
      });
      if (props.encryptionKey) {
        // CloudWatch must encrypt what it publishes to a topic under a customer managed key; only
        // this account's alarms may make it use the key (confused-deputy guard).
        const stack = Stack.of(this);
        props.encryptionKey.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
            conditions: {
              StringEquals: { 'aws:SourceAccount': stack.account },
              ArnLike: {
                'aws:SourceArn': stack.formatArn({
                  service: 'cloudwatch',
                  resource: 'alarm',
                  resourceName: '*',
                  arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                }),
              },
            },
          }),
        );
      } else {
        Validations.of(topic).acknowledge({
          id: 'AwsSolutions-SNS2',
          reason:
            'CloudWatch alarms cannot publish to a topic under the AWS managed SNS key (its key policy cannot grant CloudWatch), so without encryption=kms the topic is not encrypted at rest; notifications carry alarm names and states only.',
        });
      }
      if (props.email) {
        topic.addSubscription(new subscriptions.EmailSubscription(props.email));
        Validations.of(topic).acknowledge({
          id: 'Serverless-SNSRedrivePolicy',
          reason:
            'The only subscription is an e-mail address: undeliverable notifications in a queue nobody reads would not help; the alarm stays visible on the dashboard.',
        });
      }
      this.topic = topic;
    }
    const minute = Duration.minutes(1);
    const alarm = (name: string, alarmProps: Omit<cloudwatch.AlarmProps, 'treatMissingData'>) =>
      new cloudwatch.Alarm(this, name, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
      });
    const ageSeconds = props.oldestMessageAgeSeconds ?? 300;
    this.alarms = {
      deadLetters: alarm('DeadLetterQueueNotEmpty', {
        alarmDescription: 'Oncely: messages in the dead-letter queue; inspect them, fix, then redrive',
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
      oldestMessageAge: alarm('OldestMessageAge', {
        alarmDescription: `Oncely: the oldest message waited more than ${ageSeconds}s`,
        metric: props.queue.metricApproximateAgeOfOldestMessage({
          period: minute,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: ageSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
      }),
      consumerErrors: alarm('ConsumerErrors', {
        alarmDescription: 'Oncely: the consumer function failed invocations',
        metric: props.consumer.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: props.consumerErrorsThreshold ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      }),
      consumerThrottles: alarm('ConsumerThrottles', {
        alarmDescription: 'Oncely: the consumer function was throttled',
        metric: props.consumer.metricThrottles({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
        threshold: props.consumerThrottlesThreshold ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      }),
      messagesMissing: alarm('MessagesMissing', {
        alarmDescription: 'Oncely: the auditor found published messages that were never consumed',
        metric: oncelyMetric(
          props.metricsNamespace ?? METRICS_NAMESPACE,
          props.serviceName,
          PIPELINE_METRICS.messagesMissing,
          {
            statistic: cloudwatch.Stats.MAXIMUM,
          },
        ),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
      compensationExhausted: alarm('CompensationExhausted', {
        alarmDescription: 'Oncely: compensation gave up re-publishing outbox items',
        metric: oncelyMetric(
          props.metricsNamespace ?? METRICS_NAMESPACE,
          props.serviceName,
          PIPELINE_METRICS.compensationExhausted,
        ),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
    };
    this.actions = [new actions.SnsAction(this.topic), ...(props.actions ?? [])];
    for (const each of Object.values(this.alarms)) this.notifyOn(each);
  }

  /** Sends an extra alarm (e.g. the critical backlog step) to the same topic and actions. */
  notifyOn(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(...this.actions);
  }
}
