/** Publishes what the scaler applied, for the dashboard's concurrency and degradation widgets. */
import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, PIPELINE_METRICS, SERVICE_DIMENSION } from '../core/pipeline-metrics.js';
import type { ScalingState } from '../core/scaling-policy.js';

const LEVEL_VALUES = { normal: 0, elevated: 1, critical: 2 } as const;

export class CloudWatchScalingMetrics {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly serviceName: string,
    private readonly namespace: string = METRICS_NAMESPACE,
  ) {}

  async publish(state: ScalingState): Promise<void> {
    const Dimensions = [{ Name: SERVICE_DIMENSION, Value: this.serviceName }];
    await this.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: this.namespace,
        MetricData: [
          {
            MetricName: PIPELINE_METRICS.degradationLevel,
            Value: LEVEL_VALUES[state.level],
            Unit: 'None',
            Dimensions,
          },
          {
            MetricName: PIPELINE_METRICS.maximumConcurrency,
            Value: state.maximumConcurrency,
            Unit: 'Count',
            Dimensions,
          },
        ],
      }),
    );
  }
}
