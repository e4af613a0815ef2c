/**
 * Custom CloudWatch metrics the stack's alarms and dashboard read. Every metric lives in the
 * `Oncely` namespace with one dimension, `service` (the ONCELY_SERVICE_NAME of the stack, the
 * dimension Powertools Metrics adds by default). Emitters must use exactly these names.
 */
export const METRICS_NAMESPACE = 'Oncely';

/** The single dimension of every Oncely metric. */
export const SERVICE_DIMENSION = 'service';

/**
 * The metric names the stack's alarms and dashboard read.
 *
 * @example
 * new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: PIPELINE_METRICS.messagesMissing, dimensionsMap: { [SERVICE_DIMENSION]: serviceName } });
 */
export const PIPELINE_METRICS = {
  /** Auditor: messages missing after the grace period (gauge per audit run). Alarm: > 0. */
  messagesMissing: 'MessagesMissing',
  /** Compensation: outbox items whose re-publish attempts are exhausted. Alarm: > 0. */
  compensationExhausted: 'CompensationExhausted',
  /** Consumer: messages applied. */
  processed: 'Processed',
  /** Consumer: deliveries skipped because the claim was already COMPLETED. */
  duplicates: 'Duplicates',
  /** Consumer: poison messages sent to the DLQ by the consumer itself. */
  poisoned: 'Poisoned',
  /** Consumer: business rejections (e.g. insufficient balance). */
  rejected: 'Rejected',
  /** Scaler: the degradation level applied, 0 normal, 1 elevated, 2 critical. */
  degradationLevel: 'DegradationLevel',
  /** Scaler: the maximum concurrency (or pollers) set on the event source mapping. */
  maximumConcurrency: 'MaximumConcurrency',
} as const;

/** Auditor: the companions of MessagesMissing per classification, one value per run, for the dashboard. */
export const AUDIT_METRICS = {
  inFlight: 'MessagesAuditInFlight',
  queued: 'MessagesAuditQueued',
  deadLettered: 'MessagesAuditDeadLettered',
  unsent: 'MessagesAuditUnsent',
  republished: 'MessagesRepublished',
  unrecoverable: 'MessagesUnrecoverable',
} as const;

/** The value of PIPELINE_METRICS.degradationLevel for each level. */
export const DEGRADATION_LEVEL_VALUES = { normal: 0, elevated: 1, critical: 2 } as const;
