/**
 * The local EventBridge through the real SDK: schedules that fire at the demo's time scale,
 * pattern rules that route PutEvents and CloudWatch alarm state changes to their targets.
 */
import { PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import type { FunctionInvoker } from '../../packages/local-cloud/src/events/delivery.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

class RecordingInvoker implements FunctionInvoker {
  readonly calls: { functionArn: string; event: unknown }[] = [];
  async invoke(functionArn: string, event: unknown): Promise<void> {
    this.calls.push({ functionArn, event });
    if (functionArn.endsWith(':broken')) throw new Error('function failed');
  }
  to(functionArn: string): unknown[] {
    return this.calls.filter((call) => call.functionArn === functionArn).map((call) => call.event);
  }
}

const TIME_SCALE = 30;
const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
const invoker = new RecordingInvoker();
const cloud = useTestCloud({
  clock,
  monitoring: { tickMs: 0, timeScale: TIME_SCALE, invoker, queueStats: false },
});
let events: EventBridgeClient;
let cloudwatch: CloudWatchService;

beforeAll(async () => {
  events = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: cloud.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
});
afterAll(async () => {
  events.destroy();
});
beforeEach(() => {
  invoker.calls.length = 0;
});

/** One evaluation/scheduler tick, then wait for the deliveries it started. */
async function tick(): Promise<void> {
  await cloudwatch.evaluateNow();
  await cloudwatch.settle();
}

async function queueWithArn(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await cloud.clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${cloud.prefix}-${name}` }),
  );
  const { Attributes } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

describe('scheduled rules', () => {
  it('fires rate(1 minute) once per scaled minute with a Scheduled Event', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:relay';
    const { RuleArn } = await events.send(
      new PutRuleCommand({ Name: 'relay-every-minute', ScheduleExpression: 'rate(1 minute)' }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: 'relay-every-minute', Targets: [{ Id: 'fn', Arn: fn }] }),
    );
    await tick(); // arms the schedule
    const scaledMinute = 60_000 / TIME_SCALE;

    clock.advance(scaledMinute - 1);
    await tick();
    expect(invoker.to(fn)).toHaveLength(0);

    clock.advance(1);
    await tick();
    expect(invoker.to(fn)).toHaveLength(1);
    expect(invoker.to(fn)[0]).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'us-east-1',
      resources: [RuleArn],
      detail: {},
    });
    expect((invoker.to(fn)[0] as { time: string }).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    clock.advance(5 * scaledMinute);
    await tick();
    expect(invoker.to(fn)).toHaveLength(6);

    await events.send(new DisableRuleCommand({ Name: 'relay-every-minute' }));
    clock.advance(5 * scaledMinute);
    await tick();
    expect(invoker.to(fn)).toHaveLength(6);
  });

  it('passes a target its constant Input instead of the event', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:auditor';
    await events.send(new PutRuleCommand({ Name: 'audit', ScheduleExpression: 'rate(5 minutes)' }));
    await events.send(
      new PutTargetsCommand({ Rule: 'audit', Targets: [{ Id: 'fn', Arn: fn, Input: '{"mode":"full"}' }] }),
    );
    await tick();
    clock.advance((5 * 60_000) / TIME_SCALE);
    await tick();
    expect(invoker.to(fn)).toEqual([{ mode: 'full' }]);
  });
});

describe('pattern rules', () => {
  it('routes an alarm state change to the target of a rule matching the alarm name, once', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:scaler';
    await events.send(
      new PutRuleCommand({
        Name: 'backlog-alarms',
        EventPattern: JSON.stringify({
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          detail: { alarmName: [{ prefix: 'oncely-backlog' }], state: { value: ['ALARM'] } },
        }),
      }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: 'backlog-alarms', Targets: [{ Id: 'scaler', Arn: fn }] }),
    );
    for (const name of ['oncely-backlog-high', 'unrelated-alarm']) {
      await cloud.clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'Oncely/Test',
          MetricName: 'Backlog',
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 100,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
      );
    }
    await cloud.clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Oncely/Test',
        MetricData: [{ MetricName: 'Backlog', Value: 500, Timestamp: new Date(clock.now()) }],
      }),
    );
    await tick();
    await tick();

    const delivered = invoker.to(fn) as { detail: Record<string, unknown> }[];
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      version: '0',
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      resources: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:oncely-backlog-high'],
      detail: {
        alarmName: 'oncely-backlog-high',
        state: { value: 'ALARM' },
        previousState: { value: 'INSUFFICIENT_DATA' },
        configuration: {
          metrics: [
            {
              id: 'm1',
              metricStat: {
                metric: { namespace: 'Oncely/Test', name: 'Backlog', dimensions: {} },
                period: 60,
              },
              returnData: true,
            },
          ],
        },
      },
    });
    const state = delivered[0]!.detail.state as { reason: string; timestamp: string };
    expect(state.reason).toContain('Threshold Crossed');
    expect(state.timestamp).toMatch(/\+0000$/);
  });

  it('delivers matching PutEvents entries to an SQS target and skips the rest', async () => {
    const queue = await queueWithArn('orders-events');
    await events.send(
      new PutRuleCommand({
        Name: 'big-orders',
        EventPattern: JSON.stringify({
          source: ['oncely.shop'],
          detail: { amount: [{ numeric: ['>=', 100] }] },
        }),
      }),
    );
    await events.send(new PutTargetsCommand({ Rule: 'big-orders', Targets: [{ Id: 'q', Arn: queue.arn }] }));
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'oncely.shop', DetailType: 'order', Detail: JSON.stringify({ amount: 250 }) },
          { Source: 'oncely.shop', DetailType: 'order', Detail: JSON.stringify({ amount: 5 }) },
          { Source: 'someone.else', DetailType: 'order', Detail: JSON.stringify({ amount: 900 }) },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    expect(put.Entries?.every((entry) => entry.EventId)).toBe(true);
    await cloudwatch.settle();
    const received = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(received.Messages).toHaveLength(1);
    expect(JSON.parse(received.Messages![0]!.Body!)).toMatchObject({
      source: 'oncely.shop',
      'detail-type': 'order',
      detail: { amount: 250 },
      id: put.Entries![0]!.EventId,
    });
  });
});

describe('failed deliveries', () => {
  it('retries a failing target as its RetryPolicy says, then sends the event to its dead-letter queue', async () => {
    const dlq = await queueWithArn('events-dlq');
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:broken';
    await events.send(
      new PutRuleCommand({ Name: 'to-broken', EventPattern: JSON.stringify({ source: ['oncely.dlq'] }) }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'to-broken',
        Targets: [
          { Id: 'b', Arn: fn, RetryPolicy: { MaximumRetryAttempts: 1 }, DeadLetterConfig: { Arn: dlq.arn } },
        ],
      }),
    );
    const put = await events.send(
      new PutEventsCommand({ Entries: [{ Source: 'oncely.dlq', DetailType: 'x', Detail: '{}' }] }),
    );
    await cloudwatch.settle();
    expect(invoker.to(fn)).toHaveLength(2);
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages[0]!.Body!)).toMatchObject({
      id: put.Entries![0]!.EventId,
      source: 'oncely.dlq',
    });
  });
});

describe('rule management', () => {
  it('describes, lists and deletes rules, refusing to delete one that still has targets', async () => {
    await events.send(new PutRuleCommand({ Name: 'managed', ScheduleExpression: 'cron(0 12 * * ? *)' }));
    await events.send(
      new PutTargetsCommand({
        Rule: 'managed',
        Targets: [{ Id: 'a', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:a' }],
      }),
    );
    const described = await events.send(new DescribeRuleCommand({ Name: 'managed' }));
    expect(described).toMatchObject({
      Name: 'managed',
      State: 'ENABLED',
      ScheduleExpression: 'cron(0 12 * * ? *)',
    });
    const listed = await events.send(new ListRulesCommand({ NamePrefix: 'manag' }));
    expect(listed.Rules?.map((rule) => rule.Name)).toEqual(['managed']);
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: 'managed' }));
    expect(targets.Targets?.map((target) => target.Id)).toEqual(['a']);

    await expect(events.send(new DeleteRuleCommand({ Name: 'managed' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await events.send(new RemoveTargetsCommand({ Rule: 'managed', Ids: ['a'] }));
    await events.send(new DeleteRuleCommand({ Name: 'managed' }));
    await expect(events.send(new DescribeRuleCommand({ Name: 'managed' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('rejects invalid schedule expressions and event patterns', async () => {
    await expect(
      events.send(new PutRuleCommand({ Name: 'bad-rate', ScheduleExpression: 'rate(1 minutes)' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      events.send(new PutRuleCommand({ Name: 'bad-pattern', EventPattern: '{"source":"x"}' })),
    ).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
  });
});
