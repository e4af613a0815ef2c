/**
 * One regression test per cause of the crash, hang, 5xx answers, memory blow-ups and connection
 * resets a fuzz run of the local cloud found (issue 12, "Hostile and malformed input"). AWS answers
 * each of these requests with a 4xx and its error name, and keeps serving; so must the local
 * cloud. Each block cites the AWS page that states the limit it enforces.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import type { FunctionInvoker, QueueSender } from '../../packages/local-cloud/src/events/delivery.js';
import type { EventsService } from '../../packages/local-cloud/src/events/service.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/server.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

class RecordingInvoker implements FunctionInvoker {
  readonly calls: { functionArn: string; event: unknown }[] = [];
  async invoke(functionArn: string, event: unknown): Promise<void> {
    this.calls.push({ functionArn, event });
  }
}

class RecordingQueues implements QueueSender {
  readonly sent: { queueArn: string; body: string }[] = [];
  async send(queueArn: string, body: string): Promise<void> {
    this.sent.push({ queueArn, body });
  }
}

const TIME_SCALE = 30;
const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
const invoker = new RecordingInvoker();
const queues = new RecordingQueues();
const cloud = useTestCloud({
  clock,
  monitoring: { tickMs: 0, timeScale: TIME_SCALE, invoker, queues, queueStats: false },
});

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers: Headers;
}

const SIGNING: Record<string, string> = {
  DynamoDB_20120810: 'dynamodb',
  AmazonSQS: 'sqs',
  GraniteServiceVersion20100801: 'monitoring',
  AWSEvents: 'events',
};

/** Posts a raw AWS JSON request, as an SDK would but without its client-side checks. */
async function json(target: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const prefix = target.split('.')[0]!;
  const response = await fetch(cloud.endpoint, {
    method: 'POST',
    headers: {
      'content-type': prefix === 'AWSEvents' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
      'x-amz-target': target,
      authorization: `AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/${SIGNING[prefix]}/aws4_request, SignedHeaders=host, Signature=0`,
      ...headers,
    },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  return answer(response);
}

/** Posts a query-protocol form (SNS, SQS). */
async function form(service: 'sns' | 'sqs', params: Record<string, string> | string): Promise<Answer> {
  const response = await fetch(cloud.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  });
  return answer(response);
}

async function answer(response: Response): Promise<Answer> {
  const body = await response.text();
  let type = response.headers.get('x-amzn-errortype')?.split(':')[0] ?? '';
  if (!type) type = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? '';
  if (!type) {
    try {
      type = ((JSON.parse(body) as { __type?: string }).__type ?? '').split('#').at(-1) ?? '';
    } catch {
      type = '';
    }
  }
  return { status: response.status, type, body, headers: response.headers };
}

/** An own member, read without the `__proto__` accessor. */
function own(value: unknown, key: string): unknown {
  return Object.getOwnPropertyDescriptor(value, key)?.value;
}

async function expectServing(): Promise<void> {
  expect((await fetch(`${cloud.endpoint}/_oncely/health`)).status).toBe(200);
  expect((await json('DynamoDB_20120810.ListTables', {})).status).toBe(200);
  await cloud.local!.flush();
}

/** `depth` nested single-key maps around a string: depth 0 is the string itself. */
function nestedMap(depth: number): unknown {
  let value: unknown = { S: 'leaf' };
  for (let i = 0; i < depth; i++) value = { M: { a: value } };
  return value;
}

const TABLE = 'hostile';
beforeAll(async () => {
  const created = await json('DynamoDB_20120810.CreateTable', {
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  expect(created.status).toBe(200);
});
afterEach(() => {
  vi.restoreAllMocks();
});

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-attributes
// "Nested attribute depth: DynamoDB supports nested attributes up to 32 levels deep."
describe('DynamoDB attribute nesting is limited to 32 levels', () => {
  it('stores 32 levels, refuses 33 and a map nested 2,150 levels deep, and still writes its snapshot', async () => {
    // The top-level attribute is level 1: 31 maps around a scalar make 32 levels.
    const ok = await json('DynamoDB_20120810.PutItem', {
      TableName: TABLE,
      Item: { pk: { S: 'deep-ok' }, doc: nestedMap(31) },
    });
    expect(ok.status).toBe(200);
    const refused = await json('DynamoDB_20120810.PutItem', {
      TableName: TABLE,
      Item: { pk: { S: 'deep-32' }, doc: nestedMap(32) },
    });
    expect(refused.status).toBe(400);
    expect(refused.type).toBe('ValidationException');
    expect(refused.body).toContain('Nesting Levels have exceeded supported limits');
    // 2,150 maps are 4,300 JSON levels: refused before DynamoDB reads it, as a document too deep.
    const deepest = await json(
      'DynamoDB_20120810.PutItem',
      `{"TableName":"${TABLE}","Item":{"pk":{"S":"deep-2150"},"doc":${'{"M":{"a":'.repeat(2150)}{"S":"leaf"}${'}}'.repeat(2150)}}}`,
    );
    expect(deepest.status).toBe(400);
    expect(['ValidationException', 'SerializationException']).toContain(deepest.type);
    const update = await json('DynamoDB_20120810.UpdateItem', {
      TableName: TABLE,
      Key: { pk: { S: 'deep-ok' } },
      UpdateExpression: 'SET doc = :v',
      ExpressionAttributeValues: { ':v': nestedMap(40) },
    });
    expect(update.status).toBe(400);
    expect(update.type).toBe('ValidationException');
    await expectServing();
  });
});

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
// Period: "Valid values are 10, 20, 30, and any multiple of 60"; "Period multiplied by
// EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of less than one
// hour (3,600 seconds), the total evaluation period can't be longer than one day (86,400 seconds)."
// AlarmActions, OKActions, InsufficientDataActions: "Maximum number of 5 items."
describe('PutMetricAlarm limits on Period and EvaluationPeriods', () => {
  const alarm = (overrides: Record<string, unknown>) => ({
    AlarmName: 'limits',
    MetricName: 'Errors',
    Namespace: 'Hostile',
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
    ...overrides,
  });

  it.each([
    ['EvaluationPeriods 50,000,000', { EvaluationPeriods: 50_000_000 }],
    ['60 s x 1,441 periods (over one day)', { EvaluationPeriods: 1441 }],
    ['3,600 s x 169 periods (over seven days)', { Period: 3600, EvaluationPeriods: 169 }],
    ['Period 1e308', { Period: 1e308 }],
    ['Period 45 (not 10, 20, 30 or a multiple of 60)', { Period: 45 }],
    ['AlarmActions that are not a list', { AlarmActions: 5 }],
    [
      'six AlarmActions',
      { AlarmActions: Array.from({ length: 6 }, (_, i) => `arn:aws:sns:us-east-1:0:t${i}`) },
    ],
    ['a numeric AlarmName', { AlarmName: 5 }],
  ])('refuses %s with a 400 and keeps evaluating', async (_, overrides) => {
    const refused = await json('GraniteServiceVersion20100801.PutMetricAlarm', alarm(overrides));
    expect(refused.status).toBe(400);
    expect(['ValidationError', 'InvalidParameterValueException', 'SerializationException']).toContain(
      refused.type,
    );
    const cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
    const started = performance.now();
    await cloudwatch.evaluateNow();
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await json('GraniteServiceVersion20100801.DescribeAlarms', {})).status).toBe(200);
  });

  it('accepts the largest evaluation ranges AWS allows', async () => {
    for (const overrides of [
      { EvaluationPeriods: 1440 },
      { Period: 3600, EvaluationPeriods: 168 },
      { Period: 10, EvaluationPeriods: 8640 },
    ]) {
      const accepted = await json('GraniteServiceVersion20100801.PutMetricAlarm', alarm(overrides));
      expect(accepted.status, JSON.stringify(overrides)).toBe(200);
    }
    await (cloud.local!.services.cloudwatch as CloudWatchService).evaluateNow();
    await json('GraniteServiceVersion20100801.DeleteAlarms', { AlarmNames: ['limits'] });
  });
});

// One alarm whose evaluation fails must not stop the others, nor the EventBridge schedules that
// run on the same tick (the relay, compensation and auditor run on those schedules).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html (each alarm
// is evaluated on its own); https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
describe('alarm evaluations and schedules are isolated from each other', () => {
  it('evaluates the other alarms and fires the schedules when one alarm evaluation throws', async () => {
    const cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
    const events = cloud.local!.services.events as EventsService;
    for (const namespace of ['Broken', 'Healthy']) {
      const put = await json('GraniteServiceVersion20100801.PutMetricAlarm', {
        AlarmName: `isolated-${namespace}`,
        MetricName: 'Errors',
        Namespace: namespace,
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
      });
      expect(put.status).toBe(200);
    }
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:isolated-relay';
    expect(
      (await json('AWSEvents.PutRule', { Name: 'isolated-relay', ScheduleExpression: 'rate(1 minute)' }))
        .status,
    ).toBe(200);
    expect(
      (await json('AWSEvents.PutTargets', { Rule: 'isolated-relay', Targets: [{ Id: 'fn', Arn: fn }] }))
        .status,
    ).toBe(200);

    const aggregate = cloudwatch.store.aggregate.bind(cloudwatch.store);
    vi.spyOn(cloudwatch.store, 'aggregate').mockImplementation((metric, ...rest) => {
      if (metric.namespace === 'Broken') throw new Error('evaluation failed');
      return aggregate(metric, ...rest);
    });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const failuresBefore = cloudwatch.alarms.evaluationFailures;
    await cloudwatch.evaluateNow(); // arms the schedule
    clock.advance(60_000 / TIME_SCALE);
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();

    expect(cloudwatch.alarms.get('isolated-Healthy')!.state.value).toBe('ALARM');
    expect(cloudwatch.alarms.get('isolated-Broken')!.state.value).toBe('INSUFFICIENT_DATA');
    expect(cloudwatch.alarms.evaluationFailures).toBeGreaterThan(failuresBefore);
    expect(invoker.calls.filter((call) => call.functionArn === fn).length).toBeGreaterThan(0);
    expect(events.listRules().some((rule) => rule.name === 'isolated-relay')).toBe(true);
  });

  it('fires the other schedules when one rule cannot be scheduled', async () => {
    const cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
    const events = cloud.local!.services.events as EventsService;
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:isolated-auditor';
    vi.spyOn(console, 'error').mockImplementation(() => {});
    // A rule persisted by an older version with an expression this one refuses, next to a good one.
    const saved = events.snapshot();
    events.restore({
      ...saved,
      rules: [
        ...saved.rules,
        {
          name: 'a-broken-schedule',
          arn: 'arn:aws:events:us-east-1:000000000000:rule/a-broken-schedule',
          eventBusName: 'default',
          region: 'us-east-1',
          state: 'ENABLED',
          scheduleExpression: 'rate(0 minutes)',
          targets: [{ Id: 'fn', Arn: fn }],
        },
        {
          name: 'z-good-schedule',
          arn: 'arn:aws:events:us-east-1:000000000000:rule/z-good-schedule',
          eventBusName: 'default',
          region: 'us-east-1',
          state: 'ENABLED',
          scheduleExpression: 'rate(1 minute)',
          targets: [{ Id: 'fn', Arn: fn }],
        },
      ],
    });
    const failuresBefore = events.scheduleFailures;
    await cloudwatch.evaluateNow();
    clock.advance(60_000 / TIME_SCALE);
    await cloudwatch.evaluateNow();
    await cloudwatch.settle();
    expect(invoker.calls.filter((call) => call.functionArn === fn)).toHaveLength(1);
    expect(events.scheduleFailures).toBeGreaterThan(failuresBefore);
    expect((await json('AWSEvents.DeleteRule', { Name: 'a-broken-schedule', Force: true })).status).toBe(200);
  });
});

// Attribute names are data: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
// ("Names are case-sensitive and must be ... between 1 and 255 characters long" for some; any
// UTF-8 string for others). `__proto__`, `constructor`, `toString` are ordinary names.
describe('prototype names are ordinary attribute names', () => {
  it('DynamoDB stores, reads, updates, projects and tests them like any other name', async () => {
    const item = {
      pk: { S: 'proto' },
      ['__proto__']: { S: 'top' },
      constructor: { N: '1' },
      m: { M: { ['__proto__']: { N: '2' }, toString: { S: 'x' } } },
    };
    // Computed keys are own properties, and JSON.stringify writes them.
    const put = await json('DynamoDB_20120810.PutItem', { TableName: TABLE, Item: item });
    expect(put.status, put.body).toBe(200);
    const got = await json('DynamoDB_20120810.GetItem', { TableName: TABLE, Key: { pk: { S: 'proto' } } });
    expect(got.status).toBe(200);
    const stored = JSON.parse(got.body).Item;
    expect(Object.hasOwn(stored, '__proto__')).toBe(true);
    expect(own(stored, '__proto__')).toEqual({ S: 'top' });
    expect(stored.constructor).toEqual({ N: '1' });
    expect(Object.hasOwn(stored.m.M, '__proto__')).toBe(true);
    expect(stored.m.M.toString).toEqual({ S: 'x' });

    const updated = await json('DynamoDB_20120810.UpdateItem', {
      TableName: TABLE,
      Key: { pk: { S: 'proto' } },
      UpdateExpression: 'SET #p = :v, m.#p = :n REMOVE #c',
      ExpressionAttributeNames: { '#p': '__proto__', '#c': 'constructor' },
      ExpressionAttributeValues: { ':v': { S: 'changed' }, ':n': { N: '3' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(updated.status, updated.body).toBe(200);
    const attributes = JSON.parse(updated.body).Attributes;
    expect(own(attributes, '__proto__')).toEqual({ S: 'changed' });
    expect(own(attributes.m.M, '__proto__')).toEqual({ N: '3' });
    expect(Object.hasOwn(attributes, 'constructor')).toBe(false);

    // An attribute the item lacks does not "exist" because Object.prototype has a member of that name.
    const absent = await json('DynamoDB_20120810.Scan', {
      TableName: TABLE,
      FilterExpression: 'attribute_exists(#c) OR attribute_exists(#h) OR attribute_exists(m.#h)',
      ExpressionAttributeNames: { '#c': 'constructor', '#h': 'hasOwnProperty' },
    });
    expect(absent.status, absent.body).toBe(200);
    expect(JSON.parse(absent.body).Count).toBe(0);

    const projected = await json('DynamoDB_20120810.GetItem', {
      TableName: TABLE,
      Key: { pk: { S: 'proto' } },
      ProjectionExpression: '#p, m.#p, #t',
      ExpressionAttributeNames: { '#p': '__proto__', '#t': 'toString' },
    });
    expect(projected.status).toBe(200);
    const shown = JSON.parse(projected.body).Item;
    expect(Object.keys(shown).sort()).toEqual(['__proto__', 'm']);
    expect(Object.keys(shown.m.M)).toEqual(['__proto__']);
    await expectServing();
  });

  it('SQS query protocol keeps a message attribute named __proto__', async () => {
    const created = await json('AmazonSQS.CreateQueue', { QueueName: 'proto-names' });
    const queueUrl = JSON.parse(created.body).QueueUrl as string;
    const sent = await form('sqs', {
      Action: 'SendMessage',
      QueueUrl: queueUrl,
      MessageBody: 'x',
      'MessageAttribute.1.Name': '__proto__',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'kept',
    });
    expect(sent.status, sent.body).toBe(200);
    const received = await json('AmazonSQS.ReceiveMessage', {
      QueueUrl: queueUrl,
      MessageAttributeNames: ['All'],
    });
    const message = JSON.parse(received.body).Messages[0];
    expect(Object.hasOwn(message.MessageAttributes, '__proto__')).toBe(true);
    expect(own(own(message.MessageAttributes, '__proto__'), 'StringValue')).toBe('kept');
  });

  it('SNS delivers a message attribute named __proto__ and stores a topic attribute of that name as data', async () => {
    const topic = await form('sns', { Action: 'CreateTopic', Name: 'proto-topic' });
    const topicArn = /<TopicArn>([^<]*)<\/TopicArn>/.exec(topic.body)![1]!;
    const queueArn = 'arn:aws:sqs:us-east-1:000000000000:proto-subscriber';
    expect(
      (await form('sns', { Action: 'Subscribe', TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }))
        .status,
    ).toBe(200);
    const published = await form('sns', {
      Action: 'Publish',
      TopicArn: topicArn,
      Message: 'hello',
      'MessageAttributes.entry.1.Name': '__proto__',
      'MessageAttributes.entry.1.Value.DataType': 'String',
      'MessageAttributes.entry.1.Value.StringValue': 'kept',
    });
    expect(published.status, published.body).toBe(200);
    await (cloud.local!.services.cloudwatch as CloudWatchService).settle();
    const delivered = queues.sent.filter((sent) => sent.queueArn === queueArn).at(-1)!;
    const notification = JSON.parse(delivered.body);
    expect(Object.hasOwn(notification.MessageAttributes, '__proto__')).toBe(true);
    expect(own(own(notification.MessageAttributes, '__proto__'), 'Value')).toBe('kept');

    const set = await form('sns', {
      Action: 'SetTopicAttributes',
      TopicArn: topicArn,
      AttributeName: '__proto__',
      AttributeValue: 'x',
    });
    expect(set.status).toBeLessThan(500);
    const attributes = await form('sns', { Action: 'GetTopicAttributes', TopicArn: topicArn });
    expect(attributes.status).toBe(200);
  });

  it('EventBridge patterns see only the fields an event has', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:proto-pattern';
    const rule = await json('AWSEvents.PutRule', {
      Name: 'proto-pattern',
      EventPattern: JSON.stringify({ source: ['proto'], detail: { constructor: [{ exists: false }] } }),
    });
    expect(rule.status).toBe(200);
    await json('AWSEvents.PutTargets', { Rule: 'proto-pattern', Targets: [{ Id: 'fn', Arn: fn }] });
    const put = await json('AWSEvents.PutEvents', {
      Entries: [{ Source: 'proto', DetailType: 't', Detail: '{"__proto__":{"polluted":true}}' }],
    });
    expect(put.status).toBe(200);
    expect(JSON.parse(put.body).FailedEntryCount).toBe(0);
    await (cloud.local!.services.cloudwatch as CloudWatchService).settle();
    const delivered = invoker.calls.filter((call) => call.functionArn === fn);
    expect(delivered).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-expression-parameters
// "The maximum length of any expression string is 4 KB"; "The maximum length of any single
// expression attribute name or expression attribute value is 255 bytes"; "The maximum number of
// operators or functions allowed in an UpdateExpression is 300".
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html
// Expression: "Maximum length of 2048".
describe('expression length and nesting limits', () => {
  const condition = (expression: string, names?: Record<string, string>) =>
    json('DynamoDB_20120810.PutItem', {
      TableName: TABLE,
      Item: { pk: { S: 'expr' } },
      ConditionExpression: expression,
      ExpressionAttributeValues: { ':v': { S: 'x' } },
      ...(names ? { ExpressionAttributeNames: names } : {}),
    });

  it.each([
    ['an expression of 4,097 bytes', `pk <> :v${' '.repeat(4097 - 'pk <> :v'.length)}`],
    ['2,000 nested parentheses', `${'('.repeat(2000)}pk <> :v${')'.repeat(2000)}`],
    ['301 operators', Array.from({ length: 301 }, () => 'pk <> :v').join(' OR ')],
    ['a document path 40 levels deep', `${Array.from({ length: 40 }, () => 'a').join('.')} <> :v`],
  ])('DynamoDB refuses %s with a ValidationException', async (_, expression) => {
    const refused = await condition(expression);
    expect(refused.status, refused.body).toBe(400);
    expect(refused.type).toBe('ValidationException');
    await expectServing();
  });

  it('DynamoDB refuses an expression attribute name longer than 255 bytes', async () => {
    const placeholder = `#${'n'.repeat(255)}`;
    const refused = await condition(`${placeholder} <> :v`, { [placeholder]: 'a' });
    expect(refused.status).toBe(400);
    expect(refused.type).toBe('ValidationException');
  });

  it('DynamoDB still accepts an expression of exactly 4 KB', async () => {
    const accepted = await condition(`pk <> :v${' '.repeat(4096 - 'pk <> :v'.length)}`);
    expect(accepted.status, accepted.body).toBe(200);
  });

  it.each([
    ['an expression of 2,049 characters', `m1${' '.repeat(2047)}`],
    ['1,000 nested parentheses', `${'('.repeat(1000)}m1${')'.repeat(1000)}`],
  ])('GetMetricData refuses %s with a 400', async (_, expression) => {
    const refused = await json('GraniteServiceVersion20100801.GetMetricData', {
      MetricDataQueries: [
        {
          Id: 'm1',
          MetricStat: { Metric: { Namespace: 'Hostile', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' },
        },
        { Id: 'e1', Expression: expression },
      ],
      StartTime: 1_790_000_000,
      EndTime: 1_790_003_600,
    });
    expect(refused.status, refused.body).toBe(400);
    await expectServing();
  });
});

// Input shapes from the service models: PutEvents.Entries, PutTargets.Targets and
// PutMetricData.MetricData are lists of structures.
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
describe('inputs of the wrong shape', () => {
  it.each([
    ['AWSEvents.PutEvents', { Entries: 'x' }],
    ['AWSEvents.PutEvents', { Entries: [null] }],
    ['AWSEvents.PutEvents', { Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', Resources: 'r' }] }],
    ['AWSEvents.PutEvents', { Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', Time: 1e21 }] }],
    ['AWSEvents.PutTargets', { Rule: 'shape', Targets: 5 }],
    ['AWSEvents.PutTargets', { Rule: 'shape', Targets: [{ Id: 't', Arn: 5 }] }],
    ['AWSEvents.ListRules', { NamePrefix: 5 }],
    ['AWSEvents.RemoveTargets', { Rule: 'shape', Ids: 'x' }],
    ['GraniteServiceVersion20100801.PutMetricData', { Namespace: 'Hostile', MetricData: [null] }],
    [
      'GraniteServiceVersion20100801.PutMetricData',
      { Namespace: 'Hostile', MetricData: [{ MetricName: 'm', Values: 'x' }] },
    ],
    [
      'GraniteServiceVersion20100801.PutMetricData',
      { Namespace: 'Hostile', MetricData: [{ MetricName: 'm', Value: 1, Dimensions: 'd' }] },
    ],
    ['GraniteServiceVersion20100801.GetMetricData', { MetricDataQueries: 'x', StartTime: 1, EndTime: 2 }],
    ['GraniteServiceVersion20100801.ListMetrics', { Dimensions: [null] }],
    ['GraniteServiceVersion20100801.DescribeAlarms', { AlarmNames: 'x', MaxRecords: 'y' }],
  ])('%s %j answers a 400', async (target, body) => {
    await json('AWSEvents.PutRule', { Name: 'shape', ScheduleExpression: 'rate(1 hour)' });
    const refused = await json(target, body);
    expect(refused.status, refused.body).toBe(400);
    expect(['ValidationException', 'SerializationException', 'InvalidParameterValueException']).toContain(
      refused.type,
    );
    await expectServing();
  });
});

// Request compression: https://docs.aws.amazon.com/sdkref/latest/guide/feature-compression.html
// (the body is gzip when Content-Encoding says so; anything else is a malformed request).
describe('Content-Encoding: gzip with a body that is not gzip', () => {
  it.each([
    ['plain JSON', Buffer.from('{"TableName":"x"}')],
    ['a truncated gzip stream', gzipSync(Buffer.from('{"TableName":"x"}')).subarray(0, 12)],
    ['an empty body', Buffer.alloc(0)],
  ])('answers a 400 for %s', async (_, body) => {
    const refused = await json('DynamoDB_20120810.DescribeTable', body, { 'content-encoding': 'gzip' });
    expect(refused.status).toBe(400);
    expect(refused.type).toBe('SerializationException');
    await expectServing();
  });

  it('still decodes a gzip body', async () => {
    const ok = await json('DynamoDB_20120810.DescribeTable', gzipSync(JSON.stringify({ TableName: TABLE })), {
      'content-encoding': 'gzip',
    });
    expect(ok.status).toBe(200);
  });
});

// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html FunctionName: "Length Constraints:
// Minimum length of 1. Maximum length of 170", with a pattern; a violation is a ValidationException.
// https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html FunctionName: 1 to 140.
describe('Lambda paths and names', () => {
  it.each([
    '/2015-03-31/functions/%E0%A4%A/invocations',
    '/2015-03-31/functions/%/configuration',
    '/2015-03-31/event-source-mappings/%ZZ',
    `/2015-03-31/functions/${'x'.repeat(200)}/invocations`,
  ])('answers %s with a 4xx', async (path) => {
    const response = await fetch(`${cloud.endpoint}${path}`, {
      method: path.endsWith('invocations') ? 'POST' : 'GET',
      body: path.endsWith('invocations') ? '{}' : undefined,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await expectServing();
  });

  it('refuses a function name that is too long or escapes the temporary directory before creating anything', async () => {
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith('oncely-lambda-')).length;
    for (const name of ['x'.repeat(5000), '../../escaped', 'a/b']) {
      const response = await fetch(`${cloud.endpoint}/2015-03-31/functions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          FunctionName: name,
          Role: 'r',
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Code: { ZipFile: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' },
        }),
      });
      expect(response.status, name.slice(0, 20)).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toMatch(
        /ValidationException|InvalidParameterValueException/,
      );
    }
    const after = (await readdir(tmpdir())).filter((name) => name.startsWith('oncely-lambda-')).length;
    expect(after).toBe(before);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html Name: "Length
// Constraints: Minimum length of 1. Maximum length of 64. Pattern: [\.\-_A-Za-z0-9]+".
describe('PutRule with a Name that is not a string', () => {
  it('is refused, so ListRules keeps working, also after a restart from the data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'oncely-hostile-'));
    let local: LocalCloud | undefined;
    try {
      local = await startLocalCloud({
        port: 0,
        dataDir,
        monitoring: { tickMs: 0, invoker, queues, queueStats: false },
      });
      const post = async (target: string, body: unknown) => {
        const response = await fetch(local!.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.text() };
      };
      for (const name of [5, ['x'], { a: 1 }, true]) {
        expect(
          (await post('AWSEvents.PutRule', { Name: name, ScheduleExpression: 'rate(1 hour)' })).status,
        ).toBe(400);
      }
      expect((await post('AWSEvents.ListRules', {})).status).toBe(200);
      await local.stop();
      local = await startLocalCloud({
        port: 0,
        dataDir,
        monitoring: { tickMs: 0, invoker, queues, queueStats: false },
      });
      expect((await post('AWSEvents.ListRules', {})).status).toBe(200);
    } finally {
      await local?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('drops malformed rules and alarms an older version persisted, instead of failing every list', async () => {
    const events = cloud.local!.services.events as EventsService;
    const cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const saved = events.snapshot();
    events.restore({
      ...saved,
      rules: [...saved.rules, { name: 5, eventBusName: 'default', targets: 'x' } as never],
    });
    expect((await json('AWSEvents.ListRules', {})).status).toBe(200);
    const alarms = cloudwatch.alarms.snapshot();
    cloudwatch.alarms.restore({
      ...alarms,
      alarms: [...alarms.alarms, { configuration: { AlarmName: 5 } } as never],
    });
    expect((await json('GraniteServiceVersion20100801.DescribeAlarms', {})).status).toBe(200);
    await cloudwatch.evaluateNow();
  });
});

// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html Message: "at most 256 KB in size
// (262,144 bytes, not 262,144 characters)"; Subject: "must be less than 100 characters long".
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html "The maximum size
// for a PutEvents event entry is 256 KB"; sizes per
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
describe('SNS and EventBridge message size limits', () => {
  it('SNS refuses a message over 256 KB and a subject of 100 characters or more', async () => {
    const topic = await form('sns', { Action: 'CreateTopic', Name: 'sized' });
    const topicArn = /<TopicArn>([^<]*)<\/TopicArn>/.exec(topic.body)![1]!;
    const publish = (message: string, extra: Record<string, string> = {}) =>
      form('sns', { Action: 'Publish', TopicArn: topicArn, Message: message, ...extra });
    expect((await publish('a'.repeat(262_144))).status).toBe(200);
    const tooLong = await publish('a'.repeat(262_145));
    expect(tooLong.status).toBe(400);
    expect(tooLong.type).toBe('InvalidParameter');
    // Attributes count towards the limit.
    const withAttributes = await publish('a'.repeat(262_100), {
      'MessageAttributes.entry.1.Name': 'big',
      'MessageAttributes.entry.1.Value.DataType': 'String',
      'MessageAttributes.entry.1.Value.StringValue': 'b'.repeat(100),
    });
    expect(withAttributes.status).toBe(400);
    expect((await publish('x', { Subject: 's'.repeat(100) })).status).toBe(400);
    expect((await publish('x', { Subject: 'line\nbreak' })).status).toBe(400);
  });

  it('EventBridge refuses entries over 256 KB in total', async () => {
    const entry = (size: number) => ({
      Source: 's',
      DetailType: 'd',
      Detail: JSON.stringify({ a: 'x'.repeat(size) }),
    });
    expect((await json('AWSEvents.PutEvents', { Entries: [entry(200_000)] })).status).toBe(200);
    const refused = await json('AWSEvents.PutEvents', { Entries: [entry(140_000), entry(140_000)] });
    expect(refused.status).toBe(400);
    expect(refused.type).toBe('ValidationException');
    const single = await json('AWSEvents.PutEvents', { Entries: [entry(300_000)] });
    expect(single.status).toBe(400);
  });
});

/** Sends a body with node:http, reporting a reset instead of throwing. */
function post(
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status?: number; body?: string; error?: string }> {
  const url = new URL(cloud.endpoint);
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

// Request bodies: the local cloud accepts up to 16 MiB (more than any AWS request it emulates:
// SQS 1 MiB messages, DynamoDB 16 MB BatchWriteItem, Lambda 6 MB payloads), after decompression.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html ("the total
// request size can't exceed 16 MB"); https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
describe('request body limits', () => {
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.ListTables',
  };

  it('answers a body over 16 MiB with 413 and a body, without resetting the connection', async () => {
    const answered = await post(Buffer.alloc(17 * 1024 * 1024, 0x20), headers);
    expect(answered.error).toBeUndefined();
    expect(answered.status).toBe(413);
    expect(JSON.parse(answered.body!).__type).toBe('RequestEntityTooLarge');
    await expectServing();
  });

  it('limits the decompressed size: 65 KB of gzip that expands to 64 MiB is a 413, decoded only up to the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const started = performance.now();
    const answered = await post(bomb, { ...headers, 'content-encoding': 'gzip' });
    expect(answered.error).toBeUndefined();
    expect(answered.status).toBe(413);
    expect(performance.now() - started).toBeLessThan(5000);
    await expectServing();
  });
});

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
// MalformedQueryString: "The query string contains a syntax error."
describe('SQS query strings', () => {
  it('answers a parameter name nested thousands of levels deep with MalformedQueryString', async () => {
    const refused = await form(
      'sqs',
      `Action=ListQueues&${Array.from({ length: 5000 }, () => 'a').join('.')}=x`,
    );
    // CommonErrors.html documents MalformedQueryString with HTTP 404.
    expect(refused.status).toBe(404);
    expect(refused.type).toBe('MalformedQueryString');
    await expectServing();
  });
});
