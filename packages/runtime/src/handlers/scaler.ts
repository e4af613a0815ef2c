/**
 * Backlog scaler: invoked by EventBridge with "CloudWatch Alarm State Change" events of the backlog
 * alarms; sets the consumer's maximum concurrency and the degradation level (see
 * packages/runtime/src/core/scaling-policy.ts).
 */
import { CloudWatchScalingMetrics } from '../adapters/cloudwatch-scaling-metrics.js';
import { DynamoDbScalingStateStore } from '../adapters/dynamodb-scaling-state-store.js';
import { LambdaEventSourceMappingControl } from '../adapters/lambda-event-source-mapping.js';
import { loadConfig, parseJsonSetting } from '../config.js';
import { applyAlarmEvent, parseAlarmStateChange, scalingPolicySchema } from '../core/scaling-policy.js';
import { handlerClients } from './handler-clients.js';

const config = loadConfig();
const policy = parseJsonSetting(config, 'scalingPolicy', scalingPolicySchema);
if (!policy) throw new Error('Missing configuration: ONCELY_SCALING_POLICY (scalingPolicy)');
const clients = handlerClients(config);
const store = new DynamoDbScalingStateStore(clients.documents, config.require('controlTable'));
const control = new LambdaEventSourceMappingControl(
  clients.lambda,
  config.require('eventSourceMappingId'),
  policy,
);
const metrics = new CloudWatchScalingMetrics(
  clients.cloudwatch,
  config.optional('serviceName') ?? 'oncely',
  config.optional('metricsNamespace'),
);

export async function handler(event: unknown) {
  const change = parseAlarmStateChange(event);
  const { decision, attempts } = await applyAlarmEvent(policy!, change, { store, control });
  if (decision.kind === 'apply') await metrics.publish(decision.next);
  const summary =
    decision.kind === 'apply' ? { ...decision.next, activeStep: decision.activeStep } : decision;
  console.log(
    JSON.stringify({ message: 'scaler', alarm: change.alarmName, state: change.state, attempts, summary }),
  );
  return summary;
}
