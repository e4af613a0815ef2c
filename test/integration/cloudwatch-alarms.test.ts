/**
 * The local CloudWatch through the real SDK: metric data in, statistics out, and alarms that
 * change state on evaluation and set off their actions - SNS topics fanning out to SQS and
 * Lambda subscribers, Lambda actions - exactly once per transition.
 */
import {
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DisableAlarmActionsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListDashboardsCommand,
  ListMetricsCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import type { FunctionInvoker } from '../../packages/local-cloud/src/events/delivery.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

/** Records invocations instead of running functions: the seam the local cloud wires to Lambda. */
class RecordingInvoker implements FunctionInvoker {
  readonly calls: { functionArn: string; event: unknown }[] = [];
  async invoke(functionArn: string, event: unknown): Promise<void> {
    this.calls.push({ functionArn, event });
  }
}

const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
const invoker = new RecordingInvoker();
const cloud = useTestCloud({ clock, monitoring: { tickMs: 0, invoker, queueStats: false } });
let sns: SNSClient;
let cloudwatch: CloudWatchService;

beforeAll(async () => {
  sns = new SNSClient({ region: 'us-east-1', endpoint: cloud.endpoint, credentials: LOCAL_CREDENTIALS });
  cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
});
afterAll(async () => {
  sns.destroy();
});
beforeEach(() => {
  invoker.calls.length = 0;
});

const NAMESPACE = 'Oncely/Test';
const now = () => new Date(clock.now());

function alarmInput(
  name: string,
  overrides: Partial<PutMetricAlarmCommandInput> = {},
): PutMetricAlarmCommandInput {
  return {
    AlarmName: name,
    Namespace: NAMESPACE,
    MetricName: `${name}-metric`,
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 10,
    ComparisonOperator: 'GreaterThanThreshold',
    ...overrides,
  };
}

async function put(metricName: string, value: number, timestamp = now()): Promise<void> {
  await cloud.clients.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: NAMESPACE,
      MetricData: [{ MetricName: metricName, Value: value, Timestamp: timestamp }],
    }),
  );
}

async function stateOf(name: string): Promise<string | undefined> {
  const { MetricAlarms } = await cloud.clients.cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: [name] }),
  );
  return MetricAlarms?.[0]?.StateValue;
}

describe('metric data', () => {
  it('aggregates Value, Values/Counts and StatisticValues into per-period statistics', async () => {
    const start = Math.floor(clock.now() / 60_000) * 60_000;
    const dimensions = [{ Name: 'Queue', Value: 'orders' }];
    await cloud.clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: NAMESPACE,
        MetricData: [
          {
            MetricName: 'Latency',
            Dimensions: dimensions,
            Value: 5,
            Timestamp: new Date(start + 1000),
            Unit: 'Milliseconds',
          },
          {
            MetricName: 'Latency',
            Dimensions: dimensions,
            Values: [1, 100],
            Counts: [9, 1],
            Timestamp: new Date(start + 2000),
          },
          {
            MetricName: 'Latency',
            Dimensions: dimensions,
            StatisticValues: { SampleCount: 10, Sum: 50, Minimum: 2, Maximum: 8 },
            Timestamp: new Date(start + 61_000),
          },
        ],
      }),
    );
    const stats = await cloud.clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: NAMESPACE,
        MetricName: 'Latency',
        Dimensions: dimensions,
        StartTime: new Date(start),
        EndTime: new Date(start + 120_000),
        Period: 60,
        Statistics: ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'],
        ExtendedStatistics: ['p50', 'p99'],
      }),
    );
    const [first, second] = stats.Datapoints ?? [];
    expect(stats.Datapoints).toHaveLength(2);
    expect(first).toMatchObject({
      Sum: 114,
      SampleCount: 11,
      Minimum: 1,
      Maximum: 100,
      Unit: 'Milliseconds',
    });
    expect(first?.ExtendedStatistics).toEqual({ p50: 1, p99: 100 });
    expect(first?.Timestamp?.getTime()).toBe(start);
    expect(second).toMatchObject({ Sum: 50, SampleCount: 10, Average: 5, Minimum: 2, Maximum: 8 });

    const data = await cloud.clients.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(start),
        EndTime: new Date(start + 120_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          {
            Id: 'sum',
            MetricStat: {
              Metric: { Namespace: NAMESPACE, MetricName: 'Latency', Dimensions: dimensions },
              Period: 60,
              Stat: 'Sum',
            },
          },
          {
            Id: 'count',
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: NAMESPACE, MetricName: 'Latency', Dimensions: dimensions },
              Period: 60,
              Stat: 'SampleCount',
            },
          },
          { Id: 'mean', Expression: 'sum / count' },
        ],
      }),
    );
    const results = Object.fromEntries((data.MetricDataResults ?? []).map((result) => [result.Id, result]));
    expect(Object.keys(results).sort()).toEqual(['mean', 'sum']);
    expect(results.sum?.Values).toEqual([114, 50]);
    expect(results.mean?.Values?.[1]).toBe(5);
    expect(results.sum?.Timestamps?.map((t: Date) => t.getTime())).toEqual([start, start + 60_000]);

    const listed = await cloud.clients.cloudwatch.send(
      new ListMetricsCommand({ Namespace: NAMESPACE, Dimensions: [{ Name: 'Queue' }] }),
    );
    expect(listed.Metrics).toEqual([{ Namespace: NAMESPACE, MetricName: 'Latency', Dimensions: dimensions }]);
  });

  it('accepts a request body the SDK gzips (more than 10 KB of metric data)', async () => {
    const metricData = Array.from({ length: 400 }, (_, index) => ({
      MetricName: 'Bulk',
      Dimensions: [{ Name: 'Shard', Value: `shard-with-a-long-name-${index % 4}` }],
      Value: 1,
      Timestamp: now(),
    }));
    await cloud.clients.cloudwatch.send(
      new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData: metricData }),
    );
    const listed = await cloud.clients.cloudwatch.send(
      new ListMetricsCommand({ Namespace: NAMESPACE, MetricName: 'Bulk' }),
    );
    expect(listed.Metrics).toHaveLength(4);
  });

  it('rejects the reserved AWS/ namespace like CloudWatch', async () => {
    await expect(
      cloud.clients.cloudwatch.send(
        new PutMetricDataCommand({ Namespace: 'AWS/SQS', MetricData: [{ MetricName: 'X', Value: 1 }] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });
});

describe('metric alarms', () => {
  it('starts in INSUFFICIENT_DATA and goes to ALARM, then OK, firing each action once per transition', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${cloud.prefix}-alarms` }));
    const { QueueUrl } = await cloud.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${cloud.prefix}-alarm-inbox` }),
    );
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
    const subscriberFunction = 'arn:aws:lambda:us-east-1:000000000000:function:pager';
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: subscriberFunction }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    const okFunction = 'arn:aws:lambda:us-east-1:000000000000:function:scaler';

    await cloud.clients.cloudwatch.send(
      new PutMetricAlarmCommand(alarmInput('depth', { AlarmActions: [TopicArn!], OKActions: [okFunction] })),
    );
    expect(await stateOf('depth')).toBe('INSUFFICIENT_DATA');

    await put('depth-metric', 50);
    expect(await cloudwatch.evaluateNow()).toBeGreaterThanOrEqual(1);
    await cloudwatch.settle();
    expect(await stateOf('depth')).toBe('ALARM');

    // Still breaching: no new transition, so no second notification.
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();

    const received = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(received.Messages).toHaveLength(1);
    const envelope = JSON.parse(received.Messages![0]!.Body!);
    expect(envelope).toMatchObject({
      Type: 'Notification',
      TopicArn,
      Subject: 'ALARM: "depth" in US East (N. Virginia)',
    });
    expect(JSON.parse(envelope.Message)).toMatchObject({
      AlarmName: 'depth',
      NewStateValue: 'ALARM',
      OldStateValue: 'INSUFFICIENT_DATA',
      Trigger: { MetricName: 'depth-metric', Namespace: NAMESPACE, Threshold: 10 },
    });
    const snsDeliveries = invoker.calls.filter((call) => call.functionArn === subscriberFunction);
    expect(snsDeliveries).toHaveLength(1);
    expect(snsDeliveries[0]!.event).toMatchObject({
      Records: [{ EventSource: 'aws:sns', Sns: { TopicArn } }],
    });

    // A new period with a value under the threshold: back to OK, and the OK action runs once.
    clock.advance(60_000);
    await put('depth-metric', 1);
    await cloudwatch.evaluateNow();
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();
    expect(await stateOf('depth')).toBe('OK');
    const okCalls = invoker.calls.filter((call) => call.functionArn === okFunction);
    expect(okCalls).toHaveLength(1);
    expect(okCalls[0]!.event).toMatchObject({
      source: 'aws.cloudwatch',
      alarmData: { alarmName: 'depth', state: { value: 'OK' }, previousState: { value: 'ALARM' } },
    });
    expect(invoker.calls.filter((call) => call.functionArn === subscriberFunction)).toHaveLength(1);
  });

  it('needs M breaching periods out of N before it alarms', async () => {
    await cloud.clients.cloudwatch.send(
      new PutMetricAlarmCommand(
        alarmInput('m-of-n', {
          EvaluationPeriods: 3,
          DatapointsToAlarm: 2,
          TreatMissingData: 'notBreaching',
        }),
      ),
    );
    clock.advance(60_000);
    await put('m-of-n-metric', 20);
    await cloudwatch.evaluateNow();
    expect(await stateOf('m-of-n')).toBe('OK');
    clock.advance(60_000);
    await put('m-of-n-metric', 5);
    await cloudwatch.evaluateNow();
    expect(await stateOf('m-of-n')).toBe('OK');
    clock.advance(60_000);
    await put('m-of-n-metric', 30);
    await cloudwatch.evaluateNow();
    expect(await stateOf('m-of-n')).toBe('ALARM');
  });

  it('does not read the still-empty current period as missing, so a metric published once per period does not flap', async () => {
    await cloud.clients.cloudwatch.send(new PutMetricAlarmCommand(alarmInput('steady')));
    clock.advance(60_000 - (clock.now() % 60_000)); // the start of a period
    await put('steady-metric', 50);
    await cloudwatch.evaluateNow();
    expect(await stateOf('steady')).toBe('ALARM');
    clock.advance(60_000); // next period, its datum not published yet
    await cloudwatch.evaluateNow();
    expect(await stateOf('steady')).toBe('ALARM');
    clock.advance(60_000); // a whole period went by without data
    await cloudwatch.evaluateNow();
    expect(await stateOf('steady')).toBe('INSUFFICIENT_DATA');
  });

  it('does not run actions while they are disabled, but still changes state', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:muted';
    await cloud.clients.cloudwatch.send(
      new PutMetricAlarmCommand(alarmInput('muted', { AlarmActions: [fn] })),
    );
    await cloud.clients.cloudwatch.send(new DisableAlarmActionsCommand({ AlarmNames: ['muted'] }));
    await put('muted-metric', 99);
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();
    expect(await stateOf('muted')).toBe('ALARM');
    expect(invoker.calls.filter((call) => call.functionArn === fn)).toHaveLength(0);
  });

  it('SetAlarmState changes the state, runs the actions and is recorded in the history', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:manual';
    await cloud.clients.cloudwatch.send(
      new PutMetricAlarmCommand(alarmInput('manual', { AlarmActions: [fn] })),
    );
    await cloud.clients.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'manual', StateValue: 'ALARM', StateReason: 'testing' }),
    );
    await cloudwatch.settle();
    expect(await stateOf('manual')).toBe('ALARM');
    expect(invoker.calls.filter((call) => call.functionArn === fn)).toHaveLength(1);
    const history = await cloud.clients.cloudwatch.send(
      new DescribeAlarmHistoryCommand({ AlarmName: 'manual', HistoryItemType: 'StateUpdate' }),
    );
    expect(history.AlarmHistoryItems).toHaveLength(1);
    expect(history.AlarmHistoryItems![0]!.HistorySummary).toBe(
      'Alarm updated from INSUFFICIENT_DATA to ALARM',
    );

    await expect(
      cloud.clients.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: 'no-such-alarm', StateValue: 'OK', StateReason: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFound' });
  });

  it('filters DescribeAlarms by prefix and state, and deletes alarms', async () => {
    await cloud.clients.cloudwatch.send(new PutMetricAlarmCommand(alarmInput('filter-a')));
    await cloud.clients.cloudwatch.send(new PutMetricAlarmCommand(alarmInput('filter-b')));
    const byPrefix = await cloud.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: 'filter-' }),
    );
    expect(byPrefix.MetricAlarms?.map((alarm) => alarm.AlarmName)).toEqual(['filter-a', 'filter-b']);
    const insufficient = await cloud.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: 'filter-', StateValue: 'INSUFFICIENT_DATA' }),
    );
    expect(insufficient.MetricAlarms).toHaveLength(2);
    await cloud.clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['filter-a', 'filter-b'] }));
    const after = await cloud.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: 'filter-' }),
    );
    expect(after.MetricAlarms).toHaveLength(0);
  });

  it('rejects an alarm whose DatapointsToAlarm exceeds EvaluationPeriods', async () => {
    await expect(
      cloud.clients.cloudwatch.send(
        new PutMetricAlarmCommand(alarmInput('bad', { EvaluationPeriods: 2, DatapointsToAlarm: 3 })),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });
});

describe('dashboards', () => {
  it('stores, lists and returns dashboards, and reports a missing one as not found', async () => {
    const body = JSON.stringify({ widgets: [] });
    await cloud.clients.cloudwatch.send(
      new PutDashboardCommand({ DashboardName: 'ops', DashboardBody: body }),
    );
    const got = await cloud.clients.cloudwatch.send(new GetDashboardCommand({ DashboardName: 'ops' }));
    expect(got.DashboardBody).toBe(body);
    const listed = await cloud.clients.cloudwatch.send(new ListDashboardsCommand({}));
    expect(listed.DashboardEntries?.map((entry) => entry.DashboardName)).toContain('ops');
    await expect(
      cloud.clients.cloudwatch.send(new GetDashboardCommand({ DashboardName: 'nope' })),
      // awsQueryCompatible: the SDK names the error after the query code, which CloudWatch shares
      // between DashboardNotFoundError and ResourceNotFound.
    ).rejects.toMatchObject({ name: 'ResourceNotFound', $metadata: { httpStatusCode: 404 } });
    await expect(
      cloud.clients.cloudwatch.send(
        new PutDashboardCommand({ DashboardName: 'bad', DashboardBody: 'not json' }),
      ),
    ).rejects.toMatchObject({ name: 'DashboardInvalidInputError' });
  });
});
