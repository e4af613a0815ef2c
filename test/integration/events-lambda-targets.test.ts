/**
 * The monitoring services driving real functions of the local Lambda through the default
 * FunctionInvoker (Lambda Invoke, InvocationType Event): an alarm's SNS notification reaching a
 * subscribed function, a scheduled rule invoking its target, and the function's EMF log line
 * coming back as a CloudWatch metric.
 */
import { fileURLToPath } from 'node:url';
import {
  GetMetricStatisticsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import type { EventsService } from '../../packages/local-cloud/src/events/service.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/monitoring-functions', import.meta.url));

/** Schedules come due when the test advances this clock, not while it sleeps. */
const clock = new ManualClock(Date.now());
const cloud = useTestCloud({ clock, monitoring: { tickMs: 0, queueStats: false, timeScale: 600 } });
let cloudwatch: CloudWatchService;
let sns: SNSClient;
let events: EventBridgeClient;
let sinkUrl: string;
let functionArn: string;

beforeAll(async () => {
  // Manual clock, no timer: the test moves the clock and ticks by hand; functions run in real time.
  cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
  const credentials = LOCAL_CREDENTIALS;
  sns = new SNSClient({ region: 'us-east-1', endpoint: cloud.endpoint, credentials });
  events = new EventBridgeClient({ region: 'us-east-1', endpoint: cloud.endpoint, credentials });
  ({ QueueUrl: sinkUrl = '' } = await cloud.clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${cloud.prefix}-sink` }),
  ));
  const lambda = cloud.local!.services.lambda as LambdaService;
  functionArn = lambda.registerFunction({
    name: 'monitoring-sink',
    codeDirectory: FIXTURE,
    handler: 'index.sink',
    timeout: 30,
    environment: { SINK_QUEUE_URL: sinkUrl },
  }).arn;
});
afterAll(async () => {
  sns.destroy();
  events.destroy();
});

/**
 * Receives from the sink until `count` events arrived, deleting them. The 60 s deadline only
 * bounds a failure; the caller's length assertion then says how many arrived.
 */
async function sunk(count: number): Promise<unknown[]> {
  const bodies: unknown[] = [];
  const deadline = Date.now() + 60_000;
  while (bodies.length < count && Date.now() < deadline) {
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: sinkUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const message of Messages as Message[]) {
      bodies.push(JSON.parse(message.Body!));
      await cloud.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: sinkUrl, ReceiptHandle: message.ReceiptHandle! }),
      );
    }
  }
  return bodies;
}

/**
 * The metric's sum for the sink function, polled until it reaches `expected`. The 60 s deadline
 * only bounds a failure; the caller's assertion then shows the sum reached.
 */
async function sumOnceIngested(namespace: string, metricName: string, dimension: string, expected: number) {
  let total = 0;
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; Date.now() < deadline && total < expected; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const { Datapoints = [] } = await cloud.clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: [{ Name: dimension, Value: 'monitoring-sink' }],
        StartTime: new Date(Date.now() - 600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 3600,
        Statistics: ['Sum'],
      }),
    );
    total = Datapoints.reduce((sum, point) => sum + (point.Sum ?? 0), 0);
  }
  return total;
}

describe('Lambda targets through the local Lambda', () => {
  it('delivers an alarm notification to a function subscribed to the alarm topic', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${cloud.prefix}-page` }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: functionArn }));
    await cloud.clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'dlq-not-empty',
        Namespace: 'Oncely/E2E',
        MetricName: 'DeadLetters',
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [TopicArn!],
      }),
    );
    await cloud.clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Oncely/E2E',
        MetricData: [{ MetricName: 'DeadLetters', Value: 3 }],
      }),
    );
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();
    const [event] = (await sunk(1)) as { Records: { Sns: { Message: string; TopicArn: string } }[] }[];
    expect(event?.Records).toHaveLength(1);
    expect(event!.Records[0]!.Sns.TopicArn).toBe(TopicArn);
    expect(JSON.parse(event!.Records[0]!.Sns.Message)).toMatchObject({
      AlarmName: 'dlq-not-empty',
      NewStateValue: 'ALARM',
    });
    expect(cloudwatch.alarms.get('dlq-not-empty')?.state.value).toBe('ALARM');
  });

  it('invokes a scheduled rule target, and the function EMF line becomes a metric', async () => {
    await events.send(new PutRuleCommand({ Name: 'sink-schedule', ScheduleExpression: 'rate(1 minute)' }));
    await events.send(
      new PutTargetsCommand({ Rule: 'sink-schedule', Targets: [{ Id: 'sink', Arn: functionArn }] }),
    );
    await cloudwatch.evaluateNow(); // arms the schedule
    // rate(1 minute) at time scale 600 is due every 100 ms of clock time.
    clock.advance(150);
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();
    const fired = (cloud.local!.services.events as EventsService).recentEvents.filter(
      (event) => event['detail-type'] === 'Scheduled Event',
    ).length;
    expect(fired).toBeGreaterThanOrEqual(1);
    const scheduled = (await sunk(fired)) as { source: string; 'detail-type': string }[];
    expect(scheduled).toHaveLength(fired);
    expect(scheduled[0]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });

    // One EMF line and one REPORT line per invocation: the alarm notification and every scheduled
    // event. Lines are written after the sink message, so poll until they have been ingested.
    const expected = 1 + fired;
    expect(await sumOnceIngested('Oncely/Fixture', 'EventsSunk', 'function', expected)).toBe(expected);
    expect(await sumOnceIngested('AWS/Lambda', 'Invocations', 'FunctionName', expected)).toBe(expected);
  });
});
