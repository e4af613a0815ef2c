/**
 * Monitoring resources deployed from a CloudFormation template (the shape `cdk synth` emits):
 * topic, queue subscription, alarms (plain and metric math), dashboard and a scheduled rule, then
 * the deployed alarm firing end to end into the subscribed queue.
 */
import { DescribeAlarmsCommand, GetDashboardCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import {
  type DeploySummary,
  deployTemplate,
} from '../../packages/local-cloud/src/deploy/template-deployer.js';
import type { FunctionInvoker } from '../../packages/local-cloud/src/events/delivery.js';
import type { EventsService } from '../../packages/local-cloud/src/events/service.js';
import type { SnsService } from '../../packages/local-cloud/src/sns/service.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const calls: { functionArn: string; event: unknown }[] = [];
const invoker: FunctionInvoker = {
  invoke: async (functionArn, event) => {
    calls.push({ functionArn, event });
  },
};

const template = {
  Resources: {
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'Oncely alarms' } },
    AlarmTopicPolicy: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: { Topics: [{ Ref: 'AlarmTopic' }], PolicyDocument: { Statement: [] } },
    },
    Inbox: { Type: 'AWS::SQS::Queue', Properties: {} },
    InboxSubscription: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: 'AlarmTopic' },
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': ['Inbox', 'Arn'] },
        RawMessageDelivery: true,
      },
    },
    BacklogAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'Oncely',
        MetricName: 'Backlog',
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 100,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      },
    },
    ErrorRateAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: 'error-rate',
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Metrics: [
          {
            Id: 'errors',
            ReturnData: false,
            MetricStat: { Metric: { Namespace: 'Oncely', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' },
          },
          {
            Id: 'calls',
            ReturnData: false,
            MetricStat: { Metric: { Namespace: 'Oncely', MetricName: 'Calls' }, Period: 60, Stat: 'Sum' },
          },
          { Id: 'rate', Expression: '100 * errors / calls', ReturnData: true },
        ],
      },
    },
    Dashboard: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: 'oncely', DashboardBody: '{"widgets":[]}' },
    },
    AuditSchedule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Id: 'Target0', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:auditor' }],
      },
    },
  },
  Outputs: {
    TopicArn: { Value: { Ref: 'AlarmTopic' } },
    AlarmArn: { Value: { 'Fn::GetAtt': ['BacklogAlarm', 'Arn'] } },
    RuleArn: { Value: { 'Fn::GetAtt': ['AuditSchedule', 'Arn'] } },
  },
};

const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
const cloud = useTestCloud({ clock, monitoring: { tickMs: 0, invoker, queueStats: false } });
let cloudwatch: CloudWatchService;
let summary: DeploySummary;

beforeAll(async () => {
  cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
  summary = await deployTemplate(cloud.local!, template, { stackName: 'Monitoring' });
});

describe('deploying monitoring resources', () => {
  it('creates every monitoring resource and resolves Ref and GetAtt', () => {
    expect(summary.unsupported).toEqual([]);
    const statuses = Object.fromEntries(Object.entries(summary.resources).map(([id, r]) => [id, r.status]));
    expect(statuses).toMatchObject({
      AlarmTopic: 'created',
      AlarmTopicPolicy: 'accepted',
      InboxSubscription: 'created',
      BacklogAlarm: 'created',
      ErrorRateAlarm: 'created',
      Dashboard: 'created',
      AuditSchedule: 'created',
    });
    expect(summary.outputs.TopicArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:Monitoring-AlarmTopic/);
    expect(summary.outputs.AlarmArn).toMatch(
      /^arn:aws:cloudwatch:us-east-1:000000000000:alarm:Monitoring-BacklogAlarm/,
    );
    expect(summary.outputs.RuleArn).toMatch(
      /^arn:aws:events:us-east-1:000000000000:rule\/Monitoring-AuditSchedule/,
    );
    const sns = cloud.local!.services.sns as SnsService;
    expect(sns.subscriptionsOf(summary.outputs.TopicArn as string)).toHaveLength(1);
    const events = cloud.local!.services.events as EventsService;
    expect(events.listRules().find((rule) => rule.arn === summary.outputs.RuleArn)?.targets).toHaveLength(1);
  });

  it('keeps the dashboard body and the alarms readable through the SDK', async () => {
    const dashboard = await cloud.clients.cloudwatch.send(
      new GetDashboardCommand({ DashboardName: 'oncely' }),
    );
    expect(dashboard.DashboardBody).toBe('{"widgets":[]}');
    const { MetricAlarms = [] } = await cloud.clients.cloudwatch.send(new DescribeAlarmsCommand({}));
    expect(MetricAlarms.map((alarm) => alarm.AlarmName)).toContain('error-rate');
  });

  it('fires the deployed alarm into the subscribed queue, raw', async () => {
    await cloud.clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Oncely',
        MetricData: [{ MetricName: 'Backlog', Value: 500, Timestamp: new Date(clock.now()) }],
      }),
    );
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();
    const inbox = summary.resources.Inbox!.physicalId;
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages[0]!.Body!)).toMatchObject({
      NewStateValue: 'ALARM',
      Trigger: { MetricName: 'Backlog' },
    });
  });

  it('evaluates a metric math alarm on its expression', async () => {
    await cloud.clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Oncely',
        MetricData: [
          { MetricName: 'Calls', Value: 40, Timestamp: new Date(clock.now()) },
          { MetricName: 'Errors', Value: 6, Timestamp: new Date(clock.now()) },
        ],
      }),
    );
    await cloudwatch.evaluateNow();
    expect(cloudwatch.alarms.get('error-rate')?.state.value).toBe('ALARM');
    clock.advance(60_000);
    await cloud.clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Oncely',
        MetricData: [
          { MetricName: 'Calls', Value: 100, Timestamp: new Date(clock.now()) },
          { MetricName: 'Errors', Value: 1, Timestamp: new Date(clock.now()) },
        ],
      }),
    );
    await cloudwatch.evaluateNow();
    expect(cloudwatch.alarms.get('error-rate')?.state.value).toBe('OK');
  });

  it('runs the deployed schedule', async () => {
    calls.length = 0;
    await cloudwatch.evaluateNow();
    clock.advance(5 * 60_000);
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();
    expect(calls.filter((call) => call.functionArn.endsWith(':auditor'))).toHaveLength(1);
  });
});
