import { METRICS_NAMESPACE, PIPELINE_METRICS } from '@oncely/runtime/contract';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { oncelyMetric } from './pipeline-alarms.js';

/** Properties of {@link PipelineDashboard}. */
export interface PipelineDashboardProps {
  /** The source queue: depth, age, throughput. */
  readonly queue: sqs.IQueue;
  /** The dead-letter queue: depth. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The consumer function: concurrency, errors, throttles. */
  readonly consumer: lambda.IFunction;
  /** The `service` dimension of Oncely's custom metrics. */
  readonly serviceName: string;
  /** Namespace of Oncely's custom metrics. @default 'Oncely' */
  readonly metricsNamespace?: string;
  /** Alarms whose state the dashboard shows. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/**
 * One dashboard for the pipeline: depth, age, throughput, duplicates, poison, DLQ, concurrency,
 * degradation level and missing messages, plus the state of every alarm.
 */
export class PipelineDashboard extends Construct {
  /** The CloudWatch dashboard (stack output `DashboardName`). */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const { queue, deadLetterQueue: dlq, consumer } = props;
    const minute = { period: Duration.minutes(1) };
    const oncely = (name: string, label: string, statistic: string = cloudwatch.Stats.SUM) =>
      oncelyMetric(props.metricsNamespace ?? METRICS_NAMESPACE, props.serviceName, name, {
        ...minute,
        statistic,
        label,
      });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph('Queue depth', [
        queue.metricApproximateNumberOfMessagesVisible({ ...minute, statistic: 'Maximum', label: 'visible' }),
        queue.metricApproximateNumberOfMessagesNotVisible({
          ...minute,
          statistic: 'Maximum',
          label: 'in flight',
        }),
      ]),
      graph('Age of oldest message (s)', [
        queue.metricApproximateAgeOfOldestMessage({ ...minute, statistic: 'Maximum', label: 'oldest' }),
      ]),
      graph('Throughput (per minute)', [
        queue.metricNumberOfMessagesSent({ ...minute, label: 'sent' }),
        queue.metricNumberOfMessagesDeleted({ ...minute, label: 'deleted' }),
        oncely(PIPELINE_METRICS.processed, 'processed'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Duplicates skipped', [oncely(PIPELINE_METRICS.duplicates, 'duplicates')]),
      graph('Poison and rejected', [
        oncely(PIPELINE_METRICS.poisoned, 'poisoned'),
        oncely(PIPELINE_METRICS.rejected, 'rejected'),
      ]),
      graph('Dead-letter queue', [
        dlq.metricApproximateNumberOfMessagesVisible({
          ...minute,
          statistic: 'Maximum',
          label: 'DLQ visible',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Consumer concurrency', [
        consumer.metric('ConcurrentExecutions', { ...minute, statistic: 'Maximum', label: 'running' }),
        oncely(PIPELINE_METRICS.maximumConcurrency, 'maximum (scaler)', 'Maximum'),
        consumer.metricThrottles({ ...minute, label: 'throttles' }),
        consumer.metricErrors({ ...minute, label: 'errors' }),
      ]),
      graph('Degradation level (0 normal, 1 elevated, 2 critical)', [
        oncely(PIPELINE_METRICS.degradationLevel, 'level', 'Maximum'),
      ]),
      graph('Missing messages (auditor)', [
        oncely(PIPELINE_METRICS.messagesMissing, 'missing', 'Maximum'),
        oncely(PIPELINE_METRICS.compensationExhausted, 'compensation exhausted'),
      ]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
    );
  }
}
