/**
 * Where the local CloudWatch's metrics come from besides PutMetricData: EMF log lines of
 * functions, Lambda's own invocation metrics, and AWS/SQS metrics sampled from the local SQS.
 * Read back through the real SDK.
 */
import {
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
const cloud = useTestCloud({ clock, monitoring: { tickMs: 0 } });
let cloudwatch: CloudWatchService;

beforeAll(async () => {
  cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
});

async function statistic(
  namespace: string,
  metricName: string,
  dimensions: { Name: string; Value: string }[],
  stat: 'Sum' | 'Maximum' | 'SampleCount' | 'Average',
): Promise<number | undefined> {
  const { Datapoints = [] } = await cloud.clients.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: metricName,
      Dimensions: dimensions,
      StartTime: new Date(clock.now() - 3600_000),
      EndTime: new Date(clock.now() + 60_000),
      Period: 3600 * 2,
      Statistics: [stat],
    }),
  );
  return Datapoints.length === 0
    ? undefined
    : Datapoints.reduce((total, point) => total + (point[stat] ?? 0), 0);
}

describe('Embedded Metric Format', () => {
  it('records every metric of every dimension set in an EMF line, arrays included', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: clock.now(),
        CloudWatchMetrics: [
          {
            Namespace: 'Oncely',
            Dimensions: [['service'], ['service', 'queue']],
            Metrics: [
              { Name: 'MessagesConsumed', Unit: 'Count' },
              { Name: 'HandlerLatency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 'points',
      queue: 'orders.fifo',
      MessagesConsumed: 3,
      HandlerLatency: [12, 30, 18],
      ignored: 'not a metric',
    });
    expect(cloudwatch.ingestLogLine(line, { functionName: 'consumer' })).toBe(4);
  });

  it('makes EMF metrics readable through the SDK', async () => {
    const byService = [{ Name: 'service', Value: 'points' }];
    expect(await statistic('Oncely', 'MessagesConsumed', byService, 'Sum')).toBe(3);
    expect(await statistic('Oncely', 'HandlerLatency', byService, 'Maximum')).toBe(30);
    expect(await statistic('Oncely', 'HandlerLatency', byService, 'SampleCount')).toBe(3);
    const { Metrics = [] } = await cloud.clients.cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'Oncely' }),
    );
    expect(Metrics).toHaveLength(4);
  });

  it('accepts a runtime prefix before the JSON and ignores lines that are not EMF', () => {
    const emf = JSON.stringify({
      _aws: {
        CloudWatchMetrics: [{ Namespace: 'Oncely', Dimensions: [[]], Metrics: [{ Name: 'Prefixed' }] }],
      },
      Prefixed: 1,
    });
    expect(cloudwatch.ingestLogLine(`2026-11-25T10:00:00.000Z\tabc-123\tINFO\t${emf}`)).toBe(1);
    expect(cloudwatch.ingestLogLine('plain text log line')).toBe(0);
    expect(cloudwatch.ingestLogLine('{"level":"INFO","message":"json but not EMF"}')).toBe(0);
    expect(cloudwatch.ingestLogLine('{"_aws": broken')).toBe(0);
    // A dimension the line does not carry drops that dimension set, not the line.
    const missingDimension = JSON.stringify({
      _aws: {
        CloudWatchMetrics: [{ Namespace: 'Oncely', Dimensions: [['absent']], Metrics: [{ Name: 'X' }] }],
      },
      X: 1,
    });
    expect(cloudwatch.ingestLogLine(missingDimension)).toBe(0);
  });
});

describe('Lambda metrics', () => {
  it('records Invocations, Errors, Duration, Throttles and ConcurrentExecutions per function', async () => {
    cloudwatch.recordLambdaInvocation({ functionName: 'consumer', durationMs: 40, concurrentExecutions: 2 });
    cloudwatch.recordLambdaInvocation({
      functionName: 'consumer',
      durationMs: 60,
      error: true,
      concurrentExecutions: 3,
    });
    cloudwatch.recordLambdaInvocation({ functionName: 'consumer', durationMs: 0, throttled: true });
    const fn = [{ Name: 'FunctionName', Value: 'consumer' }];
    expect(await statistic('AWS/Lambda', 'Invocations', fn, 'Sum')).toBe(2);
    expect(await statistic('AWS/Lambda', 'Errors', fn, 'Sum')).toBe(1);
    expect(await statistic('AWS/Lambda', 'Throttles', fn, 'Sum')).toBe(1);
    expect(await statistic('AWS/Lambda', 'Duration', fn, 'Average')).toBe(50);
    expect(await statistic('AWS/Lambda', 'ConcurrentExecutions', fn, 'Maximum')).toBe(3);
  });
});

describe('Lambda metrics from platform log lines', () => {
  it('counts invocations, errors and timeouts from START/REPORT lines, each once', async () => {
    const lines = [
      'START RequestId: a Version: $LATEST',
      'START RequestId: b Version: $LATEST',
      '2026-11-25T10:00:00.000Z\tb\tERROR\tInvoke Error \t{"errorType":"Error"}',
      'END RequestId: a',
      'REPORT RequestId: a\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB',
      'REPORT RequestId: b\tDuration: 30.00 ms\tBilled Duration: 30 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB',
      'START RequestId: c Version: $LATEST',
      '2026-11-25T10:00:01.000Z c Task timed out after 3.00 seconds',
      'REPORT RequestId: c\tDuration: 3000.10 ms\tBilled Duration: 3001 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB',
    ];
    for (const line of lines) expect(cloudwatch.ingestLogLine(line, { functionName: 'platform' })).toBe(0);
    const fn = [{ Name: 'FunctionName', Value: 'platform' }];
    expect(await statistic('AWS/Lambda', 'Invocations', fn, 'Sum')).toBe(3);
    expect(await statistic('AWS/Lambda', 'Errors', fn, 'Sum')).toBe(2);
    expect(await statistic('AWS/Lambda', 'Duration', fn, 'Maximum')).toBe(3000);
    expect(await statistic('AWS/Lambda', 'ConcurrentExecutions', fn, 'Maximum')).toBe(2);
  });
});

describe('SQS metrics', () => {
  it('samples queue depth, age of the oldest message and activity counters on each tick', async () => {
    const queueName = `${cloud.prefix}-depth`;
    const { QueueUrl } = await cloud.clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 5 }, (_, index) => ({ Id: String(index), MessageBody: `m${index}` })),
      }),
    );
    clock.advance(30_000);
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2, VisibilityTimeout: 300 }),
    );
    await cloud.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0]!.ReceiptHandle! }),
    );
    await cloud.clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'backlog',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: queueName }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 2,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cloudwatch.evaluateNow();
    await cloudwatch.evaluateNow(); // a second sample in the same period must not double the gauges

    const queue = [{ Name: 'QueueName', Value: queueName }];
    expect(await statistic('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue, 'Sum')).toBe(3);
    expect(await statistic('AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', queue, 'Maximum')).toBe(1);
    expect(await statistic('AWS/SQS', 'ApproximateNumberOfMessagesDelayed', queue, 'Maximum')).toBe(0);
    expect(await statistic('AWS/SQS', 'ApproximateAgeOfOldestMessage', queue, 'Maximum')).toBe(30);
    expect(await statistic('AWS/SQS', 'NumberOfMessagesSent', queue, 'Sum')).toBe(5);
    expect(await statistic('AWS/SQS', 'NumberOfMessagesReceived', queue, 'Sum')).toBe(2);
    expect(await statistic('AWS/SQS', 'NumberOfMessagesDeleted', queue, 'Sum')).toBe(1);
    expect(cloudwatch.alarms.get('backlog')?.state.value).toBe('ALARM');
  });
});
