/**
 * The scaler's concurrency knob on a Lambda event source mapping: ScalingConfig.MaximumConcurrency
 * for on-demand pollers, ProvisionedPollerConfig.MaximumPollers in provisioned mode.
 */
import { type LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import type { ConcurrencyControl, ScalingPolicy } from '../core/scaling-policy.js';

export class LambdaEventSourceMappingControl implements ConcurrencyControl {
  constructor(
    private readonly lambda: LambdaClient,
    /** The mapping's UUID (the EventSourceMappingId stack output). */
    private readonly uuid: string,
    private readonly policy: Pick<ScalingPolicy, 'mode' | 'minimumPollers'>,
  ) {}

  async setMaximumConcurrency(value: number): Promise<void> {
    const knob =
      this.policy.mode === 'provisioned-pollers'
        ? {
            ProvisionedPollerConfig: {
              // The minimum is resent because an update replaces the whole poller configuration.
              MinimumPollers: Math.min(this.policy.minimumPollers ?? 2, value),
              MaximumPollers: value,
            },
          }
        : { ScalingConfig: { MaximumConcurrency: value } };
    await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: this.uuid, ...knob }));
  }
}
