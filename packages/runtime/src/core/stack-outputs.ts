/**
 * Keys of the stack outputs an `OncelyPipeline` adds (behind an optional prefix). They are a
 * contract: the CLI and the local cloud find a pipeline's resources by them, so they never change
 * (the values do, per deployment).
 */
export const OUTPUT_KEYS = {
  queueUrl: 'QueueUrl',
  queueArn: 'QueueArn',
  queueType: 'QueueType',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  deadLetterQueueArn: 'DeadLetterQueueArn',
  claimsTable: 'ClaimsTableName',
  outboxTable: 'OutboxTableName',
  leasesTable: 'LeasesTableName',
  controlTable: 'ControlTableName',
  consumerFunction: 'ConsumerFunctionName',
  outboxRelayFunction: 'OutboxRelayFunctionName',
  compensationFunction: 'CompensationFunctionName',
  auditorFunction: 'AuditorFunctionName',
  scalerFunction: 'ScalerFunctionName',
  eventSourceMappingId: 'EventSourceMappingId',
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
  metricsNamespace: 'MetricsNamespace',
  serviceName: 'ServiceName',
} as const;

/** A resource a pipeline's stack outputs name. */
export type OutputKey = keyof typeof OUTPUT_KEYS;
