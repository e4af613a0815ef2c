/**
 * The local SNS (query protocol, XML responses) through the real SDK - topics, subscriptions,
 * Publish fan-out - and the monitoring state surviving a restart with `--data-dir`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import type { FunctionInvoker } from '../../packages/local-cloud/src/events/delivery.js';
import type { SnsService } from '../../packages/local-cloud/src/sns/service.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';

const calls: { functionArn: string; event: unknown }[] = [];
const invoker: FunctionInvoker = {
  invoke: async (functionArn, event) => {
    calls.push({ functionArn, event });
  },
};

function snsClient(endpoint: string): SNSClient {
  return new SNSClient({ region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS });
}

describe('SNS topics and subscriptions', () => {
  let cloud: TestCloud;
  let sns: SNSClient;
  beforeAll(async () => {
    cloud = await startTestCloud({ monitoring: { tickMs: 0, invoker, queueStats: false } });
    sns = snsClient(cloud.endpoint);
  });
  afterAll(async () => {
    sns.destroy();
    await cloud.stop();
  });

  it('creates topics idempotently and lists them with their attributes', async () => {
    const first = await sns.send(
      new CreateTopicCommand({ Name: 'orders', Attributes: { DisplayName: 'Orders' } }),
    );
    const again = await sns.send(new CreateTopicCommand({ Name: 'orders' }));
    expect(first.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:orders');
    expect(again.TopicArn).toBe(first.TopicArn);
    const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
    expect(Topics.map((topic) => topic.TopicArn)).toContain(first.TopicArn);
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: first.TopicArn }));
    expect(Attributes).toMatchObject({ TopicArn: first.TopicArn, DisplayName: 'Orders' });
  });

  it('publishes to every lambda and sqs subscriber with the message attributes; email is only recorded', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'fanout' }));
    const { QueueUrl } = await cloud.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${cloud.prefix}-fanout` }),
    );
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:fanout';
    const sqsSub = await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: Attributes!.QueueArn,
        ReturnSubscriptionArn: true,
      }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fn }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(Subscriptions.map((s) => s.Protocol).sort()).toEqual(['email', 'lambda', 'sqs']);
    const subscriptionAttributes = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: sqsSub.SubscriptionArn }),
    );
    expect(subscriptionAttributes.Attributes).toMatchObject({ Protocol: 'sqs', TopicArn });

    calls.length = 0;
    const published = await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: 'hello',
        Message: 'payload <&>',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
      }),
    );
    expect(published.MessageId).toBeTruthy();
    await (cloud.local!.services.cloudwatch as CloudWatchService).settle();

    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages[0]!.Body!)).toMatchObject({
      Type: 'Notification',
      MessageId: published.MessageId,
      Subject: 'hello',
      Message: 'payload <&>',
      MessageAttributes: { kind: { Type: 'String', Value: 'test' } },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      functionArn: fn,
      event: { Records: [{ EventSource: 'aws:sns', Sns: { Message: 'payload <&>', Subject: 'hello' } }] },
    });
    const recorded = (cloud.local!.services.sns as SnsService).published.filter(
      (m) => m.topicArn === TopicArn,
    );
    expect(recorded).toHaveLength(1);

    await sns.send(new UnsubscribeCommand({ SubscriptionArn: sqsSub.SubscriptionArn }));
    const after = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(after.Subscriptions).toHaveLength(2);
  });

  it('reports a missing topic as NotFound', async () => {
    await sns.send(new CreateTopicCommand({ Name: 'short-lived' }));
    await sns.send(new DeleteTopicCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:short-lived' }));
    await expect(
      sns.send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:short-lived', Message: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});

describe('persistence', () => {
  it('keeps alarms, rules, topics and subscriptions across a restart with a data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'oncely-monitoring-'));
    try {
      const options = { dataDir, monitoring: { tickMs: 0, invoker, queueStats: false as const } };
      const first = await startTestCloud(options);
      const firstSns = snsClient(first.endpoint);
      const firstEvents = new EventBridgeClient({
        region: 'us-east-1',
        endpoint: first.endpoint,
        credentials: LOCAL_CREDENTIALS,
      });
      const { TopicArn } = await firstSns.send(new CreateTopicCommand({ Name: 'durable' }));
      await firstSns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'lambda',
          Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:x',
        }),
      );
      await first.clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: 'durable-alarm',
          Namespace: 'Oncely',
          MetricName: 'Backlog',
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 2,
          Threshold: 5,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [TopicArn!],
        }),
      );
      await firstEvents.send(
        new PutRuleCommand({ Name: 'durable-rule', ScheduleExpression: 'rate(1 hour)' }),
      );
      firstSns.destroy();
      firstEvents.destroy();
      await first.stop();

      const second = await startTestCloud(options);
      const secondSns = snsClient(second.endpoint);
      const secondEvents = new EventBridgeClient({
        region: 'us-east-1',
        endpoint: second.endpoint,
        credentials: LOCAL_CREDENTIALS,
      });
      try {
        const { MetricAlarms = [] } = await second.clients.cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNames: ['durable-alarm'] }),
        );
        expect(MetricAlarms).toHaveLength(1);
        expect(MetricAlarms[0]).toMatchObject({ EvaluationPeriods: 2, AlarmActions: [TopicArn] });
        const rule = await secondEvents.send(new DescribeRuleCommand({ Name: 'durable-rule' }));
        expect(rule.ScheduleExpression).toBe('rate(1 hour)');
        const { Subscriptions = [] } = await secondSns.send(
          new ListSubscriptionsByTopicCommand({ TopicArn }),
        );
        expect(Subscriptions).toHaveLength(1);
      } finally {
        secondSns.destroy();
        secondEvents.destroy();
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
