/**
 * Publishes an audit run's counts to CloudWatch with PutMetricData: one call per run, so the
 * `MessagesMissing` alarm sees a datapoint every run, zero included (a missing datapoint would
 * leave the alarm in INSUFFICIENT_DATA rather than OK).
 */
import { type CloudWatchClient, PutMetricDataCommand, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { AuditMetrics, AuditReport } from '../core/audit/audit-model.js';
import { METRICS_NAMESPACE, PIPELINE_METRICS, SERVICE_DIMENSION } from '../core/pipeline-metrics.js';

/** Per-class companions of MessagesMissing, for the dashboard. */
export const AUDIT_CLASS_METRICS = {
  'in-flight': 'MessagesAuditInFlight',
  queued: 'MessagesAuditQueued',
  'dead-lettered': 'MessagesAuditDeadLettered',
  unsent: 'MessagesAuditUnsent',
  republished: 'MessagesRepublished',
  unrecoverable: 'MessagesUnrecoverable',
} as const;

export class CloudWatchAuditMetrics implements AuditMetrics {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly serviceName: string,
    private readonly namespace: string = METRICS_NAMESPACE,
  ) {}

  async publish(report: AuditReport): Promise<void> {
    const values: Array<[string, number]> = [
      [PIPELINE_METRICS.messagesMissing, report.counts.missing],
      [PIPELINE_METRICS.compensationExhausted, report.compensationExhausted],
      [AUDIT_CLASS_METRICS['in-flight'], report.counts['in-flight']],
      [AUDIT_CLASS_METRICS.queued, report.counts.queued],
      [AUDIT_CLASS_METRICS['dead-lettered'], report.counts['dead-lettered']],
      [AUDIT_CLASS_METRICS.unsent, report.counts.unsent],
      [AUDIT_CLASS_METRICS.republished, report.republished],
      [AUDIT_CLASS_METRICS.unrecoverable, report.unrecoverable],
    ];
    const timestamp = new Date(report.finishedAt);
    await this.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: this.namespace,
        MetricData: values.map(([MetricName, Value]) => ({
          MetricName,
          Value,
          Unit: 'Count' satisfies StandardUnit,
          Timestamp: timestamp,
          Dimensions: [{ Name: SERVICE_DIMENSION, Value: this.serviceName }],
        })),
      }),
    );
  }
}
