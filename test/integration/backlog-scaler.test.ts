import { fileURLToPath } from 'node:url';
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { DynamoDbScalingStateStore } from '../../packages/runtime/src/adapters/dynamodb-scaling-state-store.js';
import { LambdaEventSourceMappingControl } from '../../packages/runtime/src/adapters/lambda-event-source-mapping.js';
import {
  type AlarmStateChange,
  applyAlarmEvent,
  decideScaling,
  type ScalingPolicy,
} from '../../packages/runtime/src/core/scaling-policy.js';
import { CONTROL, PARTITION_KEY } from '../../packages/runtime/src/core/tables.js';
import { captureStdout } from '../support/capture-stdout.js';
import { createTable } from '../support/dynamodb-tables.js';
import { createQueueWithArn } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const CJS_BUNDLE = fileURLToPath(new URL('../fixtures/lambda-functions/cjs', import.meta.url));

const policy: ScalingPolicy = {
  floor: 2,
  ceiling: 20,
  queueType: 'fifo',
  activeMessageGroups: 8,
  mode: 'maximum-concurrency',
  steps: [
    { name: 'elevated', alarmName: 'backlog-elevated', maximumConcurrency: 5, degradation: 'normal' },
    { name: 'high', alarmName: 'backlog-high', maximumConcurrency: 10, degradation: 'elevated' },
    { name: 'critical', alarmName: 'backlog-critical', maximumConcurrency: 20, degradation: 'critical' },
  ],
};

const cloud = useTestCloud();
let controlTable: string;
let mappingId: string;

beforeAll(async () => {
  const lambda = cloud.local!.services.lambda as LambdaService;
  const consumer = `${cloud.prefix}-consumer`;
  lambda.registerFunction({ name: consumer, codeDirectory: CJS_BUNDLE, handler: 'index.sqsBatch' });
  const source = await createQueueWithArn(cloud, 'source.fifo', { FifoQueue: 'true' });
  const mapping = await cloud.clients.lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: consumer,
      EventSourceArn: source.arn,
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    }),
  );
  mappingId = mapping.UUID!;
  controlTable = await createTable(cloud, 'control', { partitionKey: { name: PARTITION_KEY, type: 'S' } });
});

const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, second)).toISOString();
const event = (alarmName: string, state: AlarmStateChange['state'], second: number): AlarmStateChange => ({
  alarmName,
  state,
  timestamp: at(second),
});

async function maximumConcurrency(): Promise<number | undefined> {
  const mapping = await cloud.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: mappingId }));
  return mapping.ScalingConfig?.MaximumConcurrency;
}

async function degradationItem() {
  const { Item } = await cloud.clients.documents.send(
    new GetCommand({ TableName: controlTable, Key: { [PARTITION_KEY]: CONTROL.degradationKey } }),
  );
  return Item;
}

describe('backlog scaler against the local cloud (real SDK)', () => {
  it('raises and lowers the mapping concurrency and the degradation level as alarms change', async () => {
    const ports = {
      store: new DynamoDbScalingStateStore(cloud.clients.documents, controlTable),
      control: new LambdaEventSourceMappingControl(cloud.clients.lambda, mappingId, policy),
    };
    await applyAlarmEvent(policy, event('backlog-elevated', 'ALARM', 1), ports);
    expect(await maximumConcurrency()).toBe(5);
    expect(await degradationItem()).toMatchObject({ level: 'normal', maximumConcurrency: 5, version: 1 });

    // Critical asks for 20, but only 8 message groups are active on this FIFO queue.
    await applyAlarmEvent(policy, event('backlog-high', 'ALARM', 2), ports);
    await applyAlarmEvent(policy, event('backlog-critical', 'ALARM', 3), ports);
    expect(await maximumConcurrency()).toBe(8);
    expect(await degradationItem()).toMatchObject({ level: 'critical', version: 3, updatedAt: at(3) });

    // A late, older event for the critical alarm changes nothing.
    const stale = await applyAlarmEvent(policy, event('backlog-critical', 'OK', 0), ports);
    expect(stale.decision).toEqual({ kind: 'ignore', reason: 'stale' });

    await applyAlarmEvent(policy, event('backlog-critical', 'OK', 4), ports);
    expect(await maximumConcurrency()).toBe(8);
    expect(await degradationItem()).toMatchObject({ level: 'elevated' });
    await applyAlarmEvent(policy, event('backlog-high', 'OK', 5), ports);
    await applyAlarmEvent(policy, event('backlog-elevated', 'OK', 6), ports);
    expect(await maximumConcurrency()).toBe(2);
    expect(await degradationItem()).toMatchObject({ level: 'normal', version: 6 });
  });

  it('runs the built-in scaler handler on an EventBridge alarm event, configured only through its environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: cloud.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'oncely',
      AWS_SECRET_ACCESS_KEY: 'oncely-local',
      ONCELY_CONTROL_TABLE: controlTable,
      ONCELY_EVENT_SOURCE_MAPPING_ID: mappingId,
      ONCELY_SCALING_POLICY: JSON.stringify(policy),
      ONCELY_SERVICE_NAME: `${cloud.prefix}-service`,
    });
    // The function's log: its EMF lines reach CloudWatch as Lambda's would.
    const log = captureStdout();
    try {
      const { scalerHandler: handler } = await import('../../packages/runtime/src/lambda.js');
      const alarmEvent = (second: number) => ({
        version: '0',
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        time: at(second + 1),
        resources: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:backlog-high'],
        detail: {
          alarmName: 'backlog-high',
          state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: at(second) },
          previousState: { value: 'OK', timestamp: at(0) },
        },
      });
      // The high step asks for 10; the 8 active message groups cap it.
      expect(await handler(alarmEvent(20))).toMatchObject({ level: 'elevated', maximumConcurrency: 8 });
      expect(await maximumConcurrency()).toBe(8);
      expect(await handler(alarmEvent(20))).toEqual({ kind: 'ignore', reason: 'repeated' });
      const cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
      for (const line of log.lines()) cloudwatch.ingestLogLine(line);
      const { Metrics = [] } = await cloud.clients.cloudwatch.send(
        new ListMetricsCommand({ Namespace: 'Oncely' }),
      );
      const names = Metrics.filter(
        (metric) => metric.Dimensions?.[0]?.Value === `${cloud.prefix}-service`,
      ).map((metric) => metric.MetricName);
      expect(names.sort()).toEqual(['DegradationLevel', 'MaximumConcurrency']);
    } finally {
      log.restore();
      process.env = saved;
    }
  });

  it('refuses a write based on an outdated version (conditional write)', async () => {
    const store = new DynamoDbScalingStateStore(cloud.clients.documents, controlTable);
    const current = (await store.load())!;
    const decision = decideScaling(policy, current.state, event('backlog-high', 'ALARM', 30));
    if (decision.kind !== 'apply') throw new Error('expected apply');
    expect(await store.save(decision.next, current.version)).toBe(true);
    expect(await store.save(decision.next, current.version)).toBe(false);
    expect((await store.load())!.version).toBe(current.version + 1);
  });
});
