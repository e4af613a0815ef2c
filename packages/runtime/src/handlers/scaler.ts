/**
 * The backlog scaler: invoked by EventBridge with "CloudWatch Alarm State Change" events of the
 * backlog alarms; sets the consumer's maximum concurrency and the degradation level (see
 * core/scaling-policy.ts).
 */
import type { AwsClients } from '../adapters/aws-clients.js';
import { DynamoDbScalingStateStore } from '../adapters/dynamodb-scaling-state-store.js';
import { LambdaEventSourceMappingControl } from '../adapters/lambda-event-source-mapping.js';
import { type Config, requireJsonSetting } from '../config.js';
import { DEGRADATION_LEVEL_VALUES, PIPELINE_METRICS } from '../core/pipeline-metrics.js';
import {
  applyAlarmEvent,
  parseAlarmStateChange,
  type ScalingDecision,
  type ScalingState,
  scalingPolicySchema,
} from '../core/scaling-policy.js';
import { handlerClients } from './handler-clients.js';
import { handlerTelemetry, type WiringOptions } from './handler-telemetry.js';

/** What the scaler did with one alarm event: the state it applied, or why it ignored the event. */
export type ScalerResult =
  | (ScalingState & { readonly activeStep: string | undefined })
  | Extract<ScalingDecision, { kind: 'ignore' }>;

/**
 * Wires the scaler from `config`: the policy (ONCELY_SCALING_POLICY, JSON), the control table and
 * the event source mapping it turns. Each applied change records DegradationLevel and
 * MaximumConcurrency through the telemetry.
 *
 * @example
 * const scale = createScaler(loadConfig(), clients);
 * await scale(alarmStateChangeEvent);
 */
export function createScaler(
  config: Config,
  clients?: AwsClients,
  options: WiringOptions = {},
): (event: unknown) => Promise<ScalerResult> {
  const policy = requireJsonSetting(config, 'scalingPolicy', scalingPolicySchema);
  const aws = handlerClients(config, clients);
  const telemetry = handlerTelemetry(config, options);
  const ports = {
    store: new DynamoDbScalingStateStore(aws.documents, config.require('controlTable')),
    control: new LambdaEventSourceMappingControl(aws.lambda, config.require('eventSourceMappingId'), policy),
  };
  return async (event) => {
    const change = parseAlarmStateChange(event);
    const { decision, attempts } = await applyAlarmEvent(policy, change, ports);
    const result: ScalerResult =
      decision.kind === 'apply' ? { ...decision.next, activeStep: decision.activeStep } : decision;
    if (decision.kind === 'apply') {
      telemetry.record(
        PIPELINE_METRICS.degradationLevel,
        DEGRADATION_LEVEL_VALUES[decision.next.level],
        'None',
      );
      telemetry.record(PIPELINE_METRICS.maximumConcurrency, decision.next.maximumConcurrency, 'Count');
    }
    telemetry.log('info', 'scaler', { alarm: change.alarmName, state: change.state, attempts, result });
    telemetry.flush();
    return result;
  };
}
