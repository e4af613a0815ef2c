/**
 * A seeded corpus of malformed requests for every service and wire protocol of the local cloud,
 * and a runner that sends them over loopback with plain `node:http` and records what went wrong:
 * answers of 5xx, connection resets, requests that outlive a deadline, and checks between batches
 * (health, snapshot, alarm and schedule tick) that fail. The corpus starts from valid requests of
 * the real operations (the setup creates the resources they name) and breaks one thing in each:
 * a member's type, a huge number, a long string, deep nesting, a prototype name as a key or
 * value, bad Unicode, a truncated or foreign body (JSON, CBOR, XML), a wrong content encoding,
 * a malformed URL or form, an oversized body.
 */
import { type Agent, request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { SeededRandom } from '../../packages/local-cloud/src/faults/seeded-random.js';

export interface FuzzRequest {
  readonly id: number;
  readonly service: string;
  /** `service operation mutation member`, enough to reproduce and to group causes. */
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface FuzzOutcome {
  readonly request: FuzzRequest;
  readonly status?: number;
  /** The error name the answer carried (`__type`, `x-amzn-errortype` or `<Code>`). */
  readonly errorType?: string;
  readonly elapsedMs: number;
  /** The connection failed (reset, refused, closed before an answer). */
  readonly networkError?: string;
  readonly timedOut?: boolean;
}

export interface FuzzCheckFailure {
  readonly after: string;
  readonly check: string;
  readonly error: string;
}

export interface FuzzReport {
  readonly requests: number;
  readonly durationMs: number;
  readonly serverErrors: FuzzOutcome[];
  readonly resets: FuzzOutcome[];
  readonly hangs: FuzzOutcome[];
  readonly crashes: FuzzCheckFailure[];
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly memory: {
    readonly rssStartMb: number;
    readonly rssPeakMb: number;
    readonly heapStartMb: number;
    readonly heapPeakMb: number;
  };
  readonly slowest: FuzzOutcome[];
  /** Milliseconds spent per `service mutation`, largest first (where the run's time goes). */
  readonly timeByKind: readonly (readonly [string, number])[];
  /** Milliseconds spent in the checks between batches. */
  readonly checkMs: number;
}

// ---------------------------------------------------------------------------------------------
// Resources the corpus names (created by `setupRequests`)

export const FUZZ_QUEUE = 'fuzz-queue';
export const FUZZ_FIFO_QUEUE = 'fuzz-queue.fifo';
export const FUZZ_TABLE = 'fuzz-table';
export const FUZZ_TOPIC = 'fuzz-topic';
export const FUZZ_RULE = 'fuzz-rule';
export const FUZZ_ALARM = 'fuzz-alarm';
export const FUZZ_FUNCTION = 'fuzz-function';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:${FUZZ_QUEUE}`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${FUZZ_TOPIC}`;
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUZZ_FUNCTION}`;

function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=fuzz/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

type Json = unknown;

interface JsonTemplate {
  readonly operation: string;
  readonly input: Record<string, Json>;
}

interface JsonProtocol {
  readonly service: string;
  readonly signingName: string;
  readonly targetPrefix: string;
  readonly contentType: string;
  readonly templates: (queueUrl: (name: string) => string) => JsonTemplate[];
}

const ITEM = { pk: { S: 'p1' }, sk: { N: '1' }, doc: { M: { a: { L: [{ S: 'x' }, { N: '2' }] } } } };

const JSON_PROTOCOLS: JsonProtocol[] = [
  {
    service: 'sqs',
    signingName: 'sqs',
    targetPrefix: 'AmazonSQS',
    contentType: 'application/x-amz-json-1.0',
    templates: (url) => [
      {
        operation: 'CreateQueue',
        input: { QueueName: 'fuzz-made', Attributes: { VisibilityTimeout: '30' } },
      },
      { operation: 'GetQueueUrl', input: { QueueName: FUZZ_QUEUE } },
      { operation: 'ListQueues', input: { QueueNamePrefix: 'fuzz', MaxResults: 10 } },
      { operation: 'GetQueueAttributes', input: { QueueUrl: url(FUZZ_QUEUE), AttributeNames: ['All'] } },
      {
        operation: 'SetQueueAttributes',
        input: { QueueUrl: url(FUZZ_QUEUE), Attributes: { DelaySeconds: '0' } },
      },
      {
        operation: 'SendMessage',
        input: {
          QueueUrl: url(FUZZ_QUEUE),
          MessageBody: 'hello',
          DelaySeconds: 0,
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } },
        },
      },
      {
        operation: 'SendMessage',
        input: {
          QueueUrl: url(FUZZ_FIFO_QUEUE),
          MessageBody: 'hello',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        },
      },
      {
        operation: 'SendMessageBatch',
        input: { QueueUrl: url(FUZZ_QUEUE), Entries: [{ Id: 'a', MessageBody: 'x' }] },
      },
      {
        operation: 'ReceiveMessage',
        input: {
          QueueUrl: url(FUZZ_QUEUE),
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
        },
      },
      { operation: 'DeleteMessage', input: { QueueUrl: url(FUZZ_QUEUE), ReceiptHandle: 'bad-handle' } },
      {
        operation: 'DeleteMessageBatch',
        input: { QueueUrl: url(FUZZ_QUEUE), Entries: [{ Id: 'a', ReceiptHandle: 'x' }] },
      },
      {
        operation: 'ChangeMessageVisibility',
        input: { QueueUrl: url(FUZZ_QUEUE), ReceiptHandle: 'x', VisibilityTimeout: 10 },
      },
      {
        operation: 'ChangeMessageVisibilityBatch',
        input: {
          QueueUrl: url(FUZZ_QUEUE),
          Entries: [{ Id: 'a', ReceiptHandle: 'x', VisibilityTimeout: 1 }],
        },
      },
      { operation: 'TagQueue', input: { QueueUrl: url(FUZZ_QUEUE), Tags: { team: 'fuzz' } } },
      { operation: 'UntagQueue', input: { QueueUrl: url(FUZZ_QUEUE), TagKeys: ['team'] } },
      { operation: 'ListQueueTags', input: { QueueUrl: url(FUZZ_QUEUE) } },
      { operation: 'ListDeadLetterSourceQueues', input: { QueueUrl: url(FUZZ_QUEUE), MaxResults: 5 } },
      { operation: 'StartMessageMoveTask', input: { SourceArn: QUEUE_ARN, MaxNumberOfMessagesPerSecond: 5 } },
      { operation: 'ListMessageMoveTasks', input: { SourceArn: QUEUE_ARN, MaxResults: 5 } },
      { operation: 'CancelMessageMoveTask', input: { TaskHandle: 'x' } },
      { operation: 'PurgeQueue', input: { QueueUrl: url('fuzz-made') } },
    ],
  },
  {
    service: 'dynamodb',
    signingName: 'dynamodb',
    targetPrefix: 'DynamoDB_20120810',
    contentType: 'application/x-amz-json-1.0',
    templates: () => [
      {
        operation: 'CreateTable',
        input: {
          TableName: 'fuzz-made',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      },
      { operation: 'DescribeTable', input: { TableName: FUZZ_TABLE } },
      { operation: 'ListTables', input: { Limit: 10 } },
      {
        operation: 'UpdateTable',
        input: { TableName: FUZZ_TABLE, BillingMode: 'PAY_PER_REQUEST' },
      },
      {
        operation: 'UpdateTimeToLive',
        input: { TableName: FUZZ_TABLE, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } },
      },
      { operation: 'DescribeTimeToLive', input: { TableName: FUZZ_TABLE } },
      {
        operation: 'TagResource',
        input: {
          ResourceArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${FUZZ_TABLE}`,
          Tags: [{ Key: 'k', Value: 'v' }],
        },
      },
      {
        operation: 'ListTagsOfResource',
        input: { ResourceArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${FUZZ_TABLE}` },
      },
      {
        operation: 'PutItem',
        input: {
          TableName: FUZZ_TABLE,
          Item: ITEM,
          ConditionExpression: 'attribute_not_exists(#p) OR #d.a[0] = :v',
          ExpressionAttributeNames: { '#p': 'pk', '#d': 'doc' },
          ExpressionAttributeValues: { ':v': { S: 'x' } },
          ReturnValues: 'ALL_OLD',
        },
      },
      {
        operation: 'GetItem',
        input: {
          TableName: FUZZ_TABLE,
          Key: { pk: { S: 'p1' }, sk: { N: '1' } },
          ProjectionExpression: '#d.a[1], pk',
          ExpressionAttributeNames: { '#d': 'doc' },
          ConsistentRead: true,
        },
      },
      {
        operation: 'UpdateItem',
        input: {
          TableName: FUZZ_TABLE,
          Key: { pk: { S: 'p1' }, sk: { N: '1' } },
          UpdateExpression: 'SET #c = if_not_exists(#c, :zero) + :one, #l = list_append(:l, :l) REMOVE gone',
          ConditionExpression: 'size(#l) < :ten OR attribute_not_exists(#l)',
          ExpressionAttributeNames: { '#c': 'count', '#l': 'list' },
          ExpressionAttributeValues: {
            ':zero': { N: '0' },
            ':one': { N: '1' },
            ':ten': { N: '10' },
            ':l': { L: [{ S: 'a' }] },
          },
          ReturnValues: 'UPDATED_NEW',
        },
      },
      {
        operation: 'DeleteItem',
        input: { TableName: FUZZ_TABLE, Key: { pk: { S: 'gone' }, sk: { N: '9' } }, ReturnValues: 'ALL_OLD' },
      },
      {
        operation: 'Query',
        input: {
          TableName: FUZZ_TABLE,
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
          FilterExpression: 'contains(#d.a, :x) OR begins_with(pk, :p)',
          ExpressionAttributeNames: { '#d': 'doc' },
          ExpressionAttributeValues: {
            ':p': { S: 'p1' },
            ':a': { N: '0' },
            ':b': { N: '5' },
            ':x': { S: 'x' },
          },
          Limit: 5,
          ScanIndexForward: false,
        },
      },
      {
        operation: 'Scan',
        input: {
          TableName: FUZZ_TABLE,
          FilterExpression: 'attribute_type(pk, :t) AND NOT (sk IN (:a, :b))',
          ExpressionAttributeValues: { ':t': { S: 'S' }, ':a': { N: '7' }, ':b': { N: '8' } },
          Segment: 0,
          TotalSegments: 2,
          Limit: 10,
        },
      },
      {
        operation: 'BatchGetItem',
        input: { RequestItems: { [FUZZ_TABLE]: { Keys: [{ pk: { S: 'p1' }, sk: { N: '1' } }] } } },
      },
      {
        operation: 'BatchWriteItem',
        input: {
          RequestItems: {
            [FUZZ_TABLE]: [
              { PutRequest: { Item: { pk: { S: 'b' }, sk: { N: '2' } } } },
              { DeleteRequest: { Key: { pk: { S: 'c' }, sk: { N: '3' } } } },
            ],
          },
        },
      },
      {
        operation: 'TransactWriteItems',
        input: {
          TransactItems: [
            { Put: { TableName: FUZZ_TABLE, Item: { pk: { S: 't' }, sk: { N: '1' } } } },
            {
              Update: {
                TableName: FUZZ_TABLE,
                Key: { pk: { S: 'u' }, sk: { N: '1' } },
                UpdateExpression: 'ADD n :one',
                ExpressionAttributeValues: { ':one': { N: '1' } },
              },
            },
            {
              ConditionCheck: {
                TableName: FUZZ_TABLE,
                Key: { pk: { S: 'p1' }, sk: { N: '1' } },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
          ],
          ClientRequestToken: 'token-1',
        },
      },
      {
        operation: 'TransactGetItems',
        input: {
          TransactItems: [{ Get: { TableName: FUZZ_TABLE, Key: { pk: { S: 'p1' }, sk: { N: '1' } } } }],
        },
      },
      { operation: 'DescribeContinuousBackups', input: { TableName: FUZZ_TABLE } },
      { operation: 'DeleteTable', input: { TableName: 'fuzz-made' } },
    ],
  },
  {
    service: 'cloudwatch',
    signingName: 'monitoring',
    targetPrefix: 'GraniteServiceVersion20100801',
    contentType: 'application/x-amz-json-1.0',
    templates: () => [
      {
        operation: 'PutMetricData',
        input: {
          Namespace: 'Fuzz',
          MetricData: [
            {
              MetricName: 'Latency',
              Dimensions: [{ Name: 'Service', Value: 'api' }],
              Values: [1, 2, 3],
              Counts: [1, 1, 2],
              Unit: 'Milliseconds',
            },
            { MetricName: 'Errors', Value: 1, Timestamp: 1_790_000_000 },
            {
              MetricName: 'Stats',
              StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1, Maximum: 2 },
            },
          ],
        },
      },
      {
        operation: 'GetMetricData',
        input: {
          MetricDataQueries: [
            {
              Id: 'm1',
              MetricStat: {
                Metric: {
                  Namespace: 'Fuzz',
                  MetricName: 'Latency',
                  Dimensions: [{ Name: 'Service', Value: 'api' }],
                },
                Period: 60,
                Stat: 'p99',
              },
            },
            { Id: 'e1', Expression: '(m1 + 1) * 2', Label: 'doubled' },
          ],
          StartTime: 1_789_990_000,
          EndTime: 1_790_010_000,
          ScanBy: 'TimestampAscending',
        },
      },
      {
        operation: 'GetMetricStatistics',
        input: {
          Namespace: 'Fuzz',
          MetricName: 'Latency',
          StartTime: 1_789_990_000,
          EndTime: 1_790_010_000,
          Period: 60,
          Statistics: ['Average', 'Maximum'],
          ExtendedStatistics: ['p50'],
        },
      },
      { operation: 'ListMetrics', input: { Namespace: 'Fuzz', Dimensions: [{ Name: 'Service' }] } },
      {
        operation: 'PutMetricAlarm',
        input: {
          AlarmName: 'fuzz-made-alarm',
          MetricName: 'Errors',
          Namespace: 'Fuzz',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 2,
          DatapointsToAlarm: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [TOPIC_ARN],
          OKActions: [FUNCTION_ARN],
          Dimensions: [{ Name: 'Service', Value: 'api' }],
        },
      },
      {
        operation: 'PutMetricAlarm',
        input: {
          AlarmName: 'fuzz-made-math-alarm',
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          Metrics: [
            {
              Id: 'm1',
              MetricStat: { Metric: { Namespace: 'Fuzz', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' },
              ReturnData: false,
            },
            { Id: 'e1', Expression: 'm1 * 100', ReturnData: true },
          ],
        },
      },
      { operation: 'DescribeAlarms', input: { AlarmNamePrefix: 'fuzz', StateValue: 'OK', MaxRecords: 10 } },
      {
        operation: 'DescribeAlarmsForMetric',
        input: { Namespace: 'Fuzz', MetricName: 'Errors', Dimensions: [] },
      },
      {
        operation: 'SetAlarmState',
        input: {
          AlarmName: FUZZ_ALARM,
          StateValue: 'ALARM',
          StateReason: 'fuzz',
          StateReasonData: '{"a":1}',
        },
      },
      { operation: 'DescribeAlarmHistory', input: { AlarmName: FUZZ_ALARM, MaxRecords: 5 } },
      { operation: 'EnableAlarmActions', input: { AlarmNames: [FUZZ_ALARM] } },
      { operation: 'DisableAlarmActions', input: { AlarmNames: ['fuzz-made-alarm'] } },
      { operation: 'DeleteAlarms', input: { AlarmNames: ['fuzz-made-alarm'] } },
      {
        operation: 'PutDashboard',
        input: { DashboardName: 'fuzz-dashboard', DashboardBody: '{"widgets":[]}' },
      },
      { operation: 'GetDashboard', input: { DashboardName: 'fuzz-dashboard' } },
      { operation: 'ListDashboards', input: { DashboardNamePrefix: 'fuzz' } },
      { operation: 'DeleteDashboards', input: { DashboardNames: ['fuzz-nothing'] } },
    ],
  },
  {
    service: 'events',
    signingName: 'events',
    targetPrefix: 'AWSEvents',
    contentType: 'application/x-amz-json-1.1',
    templates: () => [
      {
        operation: 'PutRule',
        input: {
          Name: 'fuzz-made-rule',
          EventPattern: '{"source":["fuzz"],"detail":{"n":[{"numeric":[">",1]}]}}',
          State: 'ENABLED',
          Description: 'made by fuzz',
        },
      },
      { operation: 'PutRule', input: { Name: 'fuzz-made-schedule', ScheduleExpression: 'rate(5 minutes)' } },
      { operation: 'DescribeRule', input: { Name: FUZZ_RULE } },
      { operation: 'ListRules', input: { NamePrefix: 'fuzz' } },
      {
        operation: 'PutTargets',
        input: {
          Rule: 'fuzz-made-rule',
          Targets: [
            {
              Id: 't1',
              Arn: QUEUE_ARN,
              InputPath: '$.detail',
              RetryPolicy: { MaximumRetryAttempts: 1 },
              DeadLetterConfig: { Arn: QUEUE_ARN },
            },
          ],
        },
      },
      { operation: 'ListTargetsByRule', input: { Rule: FUZZ_RULE } },
      { operation: 'RemoveTargets', input: { Rule: 'fuzz-made-rule', Ids: ['t1'] } },
      {
        operation: 'PutEvents',
        input: {
          Entries: [
            {
              Source: 'fuzz',
              DetailType: 'Fuzzed',
              Detail: '{"n":2,"nested":{"a":[1,2]}}',
              Resources: ['arn:aws:fuzz'],
              Time: 1_790_000_000,
            },
          ],
        },
      },
      { operation: 'EnableRule', input: { Name: FUZZ_RULE } },
      { operation: 'DisableRule', input: { Name: 'fuzz-made-rule' } },
      { operation: 'DeleteRule', input: { Name: 'fuzz-made-rule', Force: true } },
      { operation: 'CreateEventBus', input: { Name: 'fuzz-bus' } },
      { operation: 'DescribeEventBus', input: { Name: 'fuzz-bus' } },
      { operation: 'ListEventBuses', input: {} },
      { operation: 'DeleteEventBus', input: { Name: 'fuzz-other-bus' } },
    ],
  },
];

interface QueryTemplate {
  readonly operation: string;
  readonly params: readonly (readonly [string, string])[];
  /** Posted to this path instead of `/` (SQS accepts the queue URL's path). */
  readonly path?: string;
}

interface QueryProtocol {
  readonly service: string;
  readonly signingName: string;
  readonly templates: (queueUrl: (name: string) => string) => QueryTemplate[];
}

const QUERY_PROTOCOLS: QueryProtocol[] = [
  {
    service: 'sqs-query',
    signingName: 'sqs',
    templates: (url) => [
      {
        operation: 'CreateQueue',
        params: [
          ['QueueName', 'fuzz-made-q'],
          ['Attribute.1.Name', 'VisibilityTimeout'],
          ['Attribute.1.Value', '30'],
          ['Tag.1.Key', 'team'],
          ['Tag.1.Value', 'fuzz'],
        ],
      },
      {
        operation: 'SendMessage',
        params: [
          ['QueueUrl', url(FUZZ_QUEUE)],
          ['MessageBody', 'hello'],
          ['MessageAttribute.1.Name', 'kind'],
          ['MessageAttribute.1.Value.DataType', 'String'],
          ['MessageAttribute.1.Value.StringValue', 'x'],
        ],
      },
      {
        operation: 'SendMessageBatch',
        params: [
          ['QueueUrl', url(FUZZ_QUEUE)],
          ['SendMessageBatchRequestEntry.1.Id', 'a'],
          ['SendMessageBatchRequestEntry.1.MessageBody', 'x'],
        ],
      },
      {
        operation: 'ReceiveMessage',
        params: [
          ['MaxNumberOfMessages', '2'],
          ['AttributeName.1', 'All'],
          ['VisibilityTimeout', '0'],
        ],
        path: `/${ACCOUNT}/${FUZZ_QUEUE}`,
      },
      {
        operation: 'GetQueueAttributes',
        params: [
          ['QueueUrl', url(FUZZ_QUEUE)],
          ['AttributeName.1', 'All'],
        ],
      },
      {
        operation: 'SetQueueAttributes',
        params: [
          ['QueueUrl', url(FUZZ_QUEUE)],
          ['Attribute.1.Name', 'DelaySeconds'],
          ['Attribute.1.Value', '0'],
        ],
      },
      { operation: 'ListQueues', params: [['QueueNamePrefix', 'fuzz']] },
      { operation: 'GetQueueUrl', params: [['QueueName', FUZZ_QUEUE]] },
      {
        operation: 'TagQueue',
        params: [
          ['QueueUrl', url(FUZZ_QUEUE)],
          ['Tag.1.Key', 'a'],
          ['Tag.1.Value', 'b'],
        ],
      },
      {
        operation: 'DeleteMessageBatch',
        params: [
          ['QueueUrl', url(FUZZ_QUEUE)],
          ['DeleteMessageBatchRequestEntry.1.Id', 'a'],
          ['DeleteMessageBatchRequestEntry.1.ReceiptHandle', 'x'],
        ],
      },
    ],
  },
  {
    service: 'sns',
    signingName: 'sns',
    templates: () => [
      {
        operation: 'CreateTopic',
        params: [
          ['Name', 'fuzz-made-topic'],
          ['Attributes.entry.1.key', 'DisplayName'],
          ['Attributes.entry.1.value', 'fuzz'],
        ],
      },
      { operation: 'ListTopics', params: [] },
      { operation: 'GetTopicAttributes', params: [['TopicArn', TOPIC_ARN]] },
      {
        operation: 'SetTopicAttributes',
        params: [
          ['TopicArn', TOPIC_ARN],
          ['AttributeName', 'DisplayName'],
          ['AttributeValue', 'x'],
        ],
      },
      {
        operation: 'Subscribe',
        params: [
          ['TopicArn', TOPIC_ARN],
          ['Protocol', 'sqs'],
          ['Endpoint', QUEUE_ARN],
          ['Attributes.entry.1.key', 'RawMessageDelivery'],
          ['Attributes.entry.1.value', 'true'],
        ],
      },
      { operation: 'ListSubscriptions', params: [] },
      { operation: 'ListSubscriptionsByTopic', params: [['TopicArn', TOPIC_ARN]] },
      {
        operation: 'Publish',
        params: [
          ['TopicArn', TOPIC_ARN],
          ['Message', 'hello'],
          ['Subject', 'fuzz'],
          ['MessageAttributes.entry.1.Name', 'kind'],
          ['MessageAttributes.entry.1.Value.DataType', 'String'],
          ['MessageAttributes.entry.1.Value.StringValue', 'x'],
        ],
      },
      { operation: 'GetSubscriptionAttributes', params: [['SubscriptionArn', `${TOPIC_ARN}:nope`]] },
      {
        operation: 'SetSubscriptionAttributes',
        params: [
          ['SubscriptionArn', `${TOPIC_ARN}:nope`],
          ['AttributeName', 'RawMessageDelivery'],
          ['AttributeValue', 'true'],
        ],
      },
      { operation: 'Unsubscribe', params: [['SubscriptionArn', `${TOPIC_ARN}:nope`]] },
      {
        operation: 'DeleteTopic',
        params: [['TopicArn', `arn:aws:sns:${REGION}:${ACCOUNT}:fuzz-made-topic`]],
      },
    ],
  },
];

interface RestTemplate {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly input?: Record<string, Json>;
  readonly headers?: Record<string, string>;
}

/** A zip archive with one small handler (`index.mjs`), base64: a well-formed CreateFunction upload. */
const HANDLER_ZIP =
  'UEsDBBQAAAAIAIUogl2WAbE5KQAAACcAAAAJAAAAaW5kZXgubWpzS60oyC8qUUjOzysuUchIzEvJSS1SsFVILK7MS1bQSNVUsLVTSLXmAgBQSwECFAMUAAAACACFKIJdlgGxOSkAAAAnAAAACQAAAAAAAAAAAAAAgAEAAAAAaW5kZXgubWpzUEsFBgAAAAABAAEANwAAAFAAAAAAAA==';

const LAMBDA_TEMPLATES: RestTemplate[] = [
  { operation: 'ListFunctions', method: 'GET', path: '/2015-03-31/functions' },
  { operation: 'GetFunction', method: 'GET', path: `/2015-03-31/functions/${FUZZ_FUNCTION}` },
  {
    operation: 'GetFunctionConfiguration',
    method: 'GET',
    path: `/2015-03-31/functions/${FUZZ_FUNCTION}/configuration`,
  },
  {
    operation: 'Invoke',
    method: 'POST',
    path: `/2015-03-31/functions/${FUZZ_FUNCTION}/invocations`,
    input: { n: 1, nested: { a: [1, 2] } },
    headers: { 'x-amz-invocation-type': 'DryRun' },
  },
  {
    operation: 'Invoke',
    method: 'POST',
    path: '/2015-03-31/functions/fuzz-missing/invocations',
    input: { n: 1 },
  },
  {
    operation: 'CreateFunction',
    method: 'POST',
    path: '/2015-03-31/functions',
    input: {
      FunctionName: 'fuzz-made-function',
      Runtime: 'nodejs22.x',
      Role: `arn:aws:iam::${ACCOUNT}:role/fuzz`,
      Handler: 'index.handler',
      Code: { ZipFile: HANDLER_ZIP },
      Timeout: 3,
      MemorySize: 128,
      Environment: { Variables: { A: 'b' } },
    },
  },
  {
    operation: 'PutFunctionConcurrency',
    method: 'PUT',
    path: `/2017-10-31/functions/${FUZZ_FUNCTION}/concurrency`,
    input: { ReservedConcurrentExecutions: 5 },
  },
  {
    operation: 'GetFunctionConcurrency',
    method: 'GET',
    path: `/2019-09-30/functions/${FUZZ_FUNCTION}/concurrency`,
  },
  {
    operation: 'CreateEventSourceMapping',
    method: 'POST',
    path: '/2015-03-31/event-source-mappings',
    input: {
      FunctionName: FUZZ_FUNCTION,
      EventSourceArn: QUEUE_ARN,
      BatchSize: 10,
      Enabled: false,
      MaximumBatchingWindowInSeconds: 0,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    },
  },
  {
    operation: 'ListEventSourceMappings',
    method: 'GET',
    path: '/2015-03-31/event-source-mappings?FunctionName=x',
  },
  {
    operation: 'UpdateEventSourceMapping',
    method: 'PUT',
    path: '/2015-03-31/event-source-mappings/00000000-0000-0000-0000-000000000000',
    input: { BatchSize: 5 },
  },
  { operation: 'DeleteFunction', method: 'DELETE', path: '/2015-03-31/functions/fuzz-made-function' },
];

// ---------------------------------------------------------------------------------------------
// Hostile values

const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
];
const WRONG_TYPES: Json[] = [
  0,
  -1,
  1.5,
  true,
  false,
  null,
  '',
  'x',
  [],
  [null],
  [1, 'a'],
  {},
  { a: 1 },
  'NaN',
];
const HUGE_NUMBERS: Json[] = [
  1e308,
  -1e308,
  2 ** 53 + 1,
  1e21,
  4294967296,
  50_000_000,
  -50_000_000,
  1e-7,
  5e-324,
];
const BAD_UNICODE = ['\ud800', 'a\udfffb', '\u0000', '\uffff', '\u202e\u0007', '😀'.repeat(64), '\r\n\t'];
const LONG_LENGTHS = [257, 1025, 4097, 70_000, 270_000, 1_100_000];
const DEPTHS = [33, 120, 2500, 12_000];

/** DynamoDB expressions that break its limits or its grammar. */
const BAD_EXPRESSIONS = [
  `${'('.repeat(5000)}pk = :p${')'.repeat(5000)}`,
  `${'NOT '.repeat(4000)}pk = :p`,
  `${'pk = :p AND '.repeat(700)}pk = :p`,
  `${'a.'.repeat(3000)}b = :p`,
  `${'a[0]'.repeat(2000)} = :p`,
  'a[99999999999999999999] = :p',
  'size(size(pk)) = :p',
  `pk IN (${Array.from({ length: 150 }, () => ':p').join(', ')})`,
  'pk BETWEEN :p AND',
  `SET ${Array.from({ length: 400 }, (_, i) => `a${i} = :p`).join(', ')}`,
  `SET a = ${Array.from({ length: 400 }, () => ':p').join(' + ')}`,
  '#__proto__ = :__proto__',
  'constructor = :p AND toString = :p',
  'pk = :p'.padEnd(5000, ' '),
  ')(',
  '',
];

/** Mutation kinds (see `mutateJson`) every JSON template gets once: huge number, long string, deep nesting, prototype key. */
const ALWAYS = [1, 2, 3, 4];

// Raw JSON texts spliced in by placeholder, so nesting far deeper than JSON.stringify's own stack
// can take reaches the server.
const HOLE = '@@fuzz-hole@@';

interface Mutated {
  readonly body: string;
  readonly label: string;
}

type Path = (string | number)[];

function pathsOf(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) pathsOf(item, [...prefix, index], out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  }
  return out;
}

function clone(value: Json): Json {
  return JSON.parse(JSON.stringify(value));
}

function getAt(root: Json, path: Path): Json {
  let current = root;
  for (const step of path) current = (current as Record<string | number, Json>)[step];
  return current;
}

/** Sets an own property (even `__proto__`) at `path`; returns the new root. */
function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json>;
  Object.defineProperty(parent, path.at(-1)!, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return root;
}

function removeAt(root: Json, path: Path): Json {
  if (path.length === 0) return {};
  const parent = getAt(root, path.slice(0, -1));
  const key = path.at(-1)!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, Json>)[key as string];
  return root;
}

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.integer(0, items.length - 1)]!;
}

function longString(random: SeededRandom, lengths: readonly number[] = LONG_LENGTHS): string {
  const length = pick(random, lengths);
  return pick(random, ['a', 'é', '(', '#', ':v', '1', '{']).repeat(length).slice(0, length);
}

function deepJson(random: SeededRandom, dynamo: boolean): string {
  const depth = pick(random, DEPTHS);
  const style = random.integer(0, dynamo ? 3 : 1);
  if (style === 0) return '['.repeat(depth) + ']'.repeat(depth);
  if (style === 1) return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  if (style === 2) return '{"M":{"a":'.repeat(depth) + '{"S":"x"}' + '}}'.repeat(depth);
  return '{"L":['.repeat(depth) + '{"N":"1"}' + ']}'.repeat(depth);
}

function describePath(path: Path): string {
  return path.length === 0 ? '<root>' : path.join('.');
}

/** One mutation of a JSON input: which member, and how it was broken. */
function mutateJson(
  random: SeededRandom,
  input: Record<string, Json>,
  dynamo: boolean,
  forcedKind?: number,
): Mutated {
  const root = clone(input);
  const paths = pathsOf(root);
  const path = pick(random, paths);
  const where = describePath(path);
  const kind = forcedKind ?? random.integer(0, dynamo ? 10 : 9);
  const finish = (value: Json, label: string, raw?: string): Mutated => {
    const mutated = setAt(root, path, raw === undefined ? value : HOLE);
    const text = JSON.stringify(mutated);
    return { body: raw === undefined ? text : text.replace(`"${HOLE}"`, raw), label: `${label} ${where}` };
  };
  switch (kind) {
    case 0:
      return finish(pick(random, WRONG_TYPES), 'wrong-type');
    case 1: {
      // Numbers out of range, aimed at the numeric members most of the time.
      const numeric = paths.filter((candidate) => typeof getAt(root, candidate) === 'number');
      const target = numeric.length > 0 && random.chance(0.8) ? pick(random, numeric) : path;
      setAt(root, target, pick(random, HUGE_NUMBERS));
      return { body: JSON.stringify(root), label: `huge-number ${describePath(target)}` };
    }
    case 2:
      return finish(longString(random), 'long-string');
    case 3:
      return finish(undefined, 'deep-nesting', deepJson(random, dynamo));
    case 4: {
      // A prototype name as a key of an object member (or of the root).
      const objects = paths.filter((candidate) => {
        const value = getAt(root, candidate);
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      });
      const target = pick(random, objects);
      const name = pick(random, PROTOTYPE_NAMES);
      const value = dynamo && random.chance(0.6) ? { S: 'x' } : pick(random, ['x', 1, {}, { S: 'x' }, [1]]);
      setAt(root, [...target, name], value);
      return { body: JSON.stringify(root), label: `prototype-key ${describePath([...target, name])}` };
    }
    case 5:
      return finish(pick(random, PROTOTYPE_NAMES), 'prototype-value');
    case 6:
      return finish(pick(random, BAD_UNICODE), 'bad-unicode');
    case 7: {
      removeAt(root, path);
      return { body: JSON.stringify(root), label: `missing ${where}` };
    }
    case 8: {
      const arrays = paths.filter((candidate) => Array.isArray(getAt(root, candidate)));
      if (arrays.length === 0) return finish(pick(random, WRONG_TYPES), 'wrong-type');
      const target = pick(random, arrays);
      const value = pick(random, ['x', 5, [null], [[]], [{}], [1, 2, 3], Array(2000).fill({}), {}]);
      setAt(root, target, value);
      return { body: JSON.stringify(root), label: `array-shape ${describePath(target)}` };
    }
    case 9: {
      // Many members or many list entries.
      const count = pick(random, [101, 1001, 20_000]);
      const many = Array.from({ length: count }, (_, index) => (random.chance(0.5) ? index : { a: index }));
      return finish(many, `many-${count}`);
    }
    default: {
      const expressions = paths.filter((candidate) => /Expression$/.test(String(candidate.at(-1))));
      const target = expressions.length > 0 ? pick(random, expressions) : ['FilterExpression'];
      setAt(root, target, pick(random, BAD_EXPRESSIONS));
      return { body: JSON.stringify(root), label: `bad-expression ${describePath(target)}` };
    }
  }
}

/** Whole-body breakage: truncated, foreign formats, garbage bytes. */
function brokenBody(random: SeededRandom, valid: string): { body: Buffer; label: string } {
  switch (random.integer(0, 9)) {
    case 0: {
      const cut = random.integer(0, Math.max(0, valid.length - 1));
      return { body: Buffer.from(valid.slice(0, cut)), label: `truncated-json at ${cut}` };
    }
    case 1:
      return {
        body: Buffer.from(Array.from({ length: random.integer(1, 300) }, () => random.integer(0, 255))),
        label: 'random-bytes',
      };
    case 2:
      return {
        body: Buffer.from(pick(random, ['null', '[]', '"x"', '5', 'true', '1e999', '{}{}'])),
        label: 'not-an-object',
      };
    case 3:
      return {
        body: Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(valid)]),
        label: 'invalid-utf8',
      };
    case 4:
      // CBOR: a map header, a text key, then cut.
      return {
        body: Buffer.from([0xbf, 0x69, 0x54, 0x61, 0x62, 0x6c, 0x65, 0x4e, 0x61, 0x6d]),
        label: 'cbor-body',
      };
    case 5:
      return {
        body: Buffer.from('<?xml version="1.0"?><Request><Name>x</Name><Deep>'.repeat(50)),
        label: 'xml-body',
      };
    case 6:
      return { body: Buffer.from(`\ufeff${valid}`), label: 'byte-order-mark' };
    case 7:
      return {
        body: Buffer.from(valid.replace('{', '{"__proto__":{"polluted":true},')),
        label: 'proto-pollution',
      };
    case 8:
      return {
        body: Buffer.from(`${valid.slice(0, -1)},"a":${'1'.repeat(400)}}`),
        label: 'long-number-literal',
      };
    default:
      return { body: Buffer.from(`{"a":"${'\\ud800'.repeat(50)}","b":"\\u00"}`), label: 'bad-escape' };
  }
}

/** Header breakage: content encodings that lie, foreign content types, mangled targets. */
function brokenHeaders(
  random: SeededRandom,
  headers: Record<string, string>,
  body: Buffer,
): { headers: Record<string, string>; body: Buffer; label: string } {
  switch (random.integer(0, 7)) {
    case 0:
      return { headers: { ...headers, 'content-encoding': 'gzip' }, body, label: 'gzip-header-plain-body' };
    case 1: {
      const zipped = gzipSync(body);
      return {
        headers: { ...headers, 'content-encoding': 'gzip' },
        body: zipped.subarray(0, random.integer(1, Math.max(1, zipped.length - 1))),
        label: 'truncated-gzip',
      };
    }
    case 2:
      return {
        headers: { ...headers, 'content-encoding': 'gzip' },
        body: gzipSync(body),
        label: 'gzip-valid',
      };
    case 3:
      return {
        headers: {
          ...headers,
          'content-encoding': pick(random, ['deflate', 'br', 'gzip, gzip', 'identity', 'x']),
        },
        body,
        label: 'other-encoding',
      };
    case 4:
      return {
        headers: {
          ...headers,
          'content-type': pick(random, ['text/plain', 'application/xml', 'application/cbor', '']),
        },
        body,
        label: 'content-type',
      };
    case 5: {
      const target = headers['x-amz-target'];
      if (!target) return { headers: { ...headers, 'x-amz-target': 'x' }, body, label: 'target-added' };
      const mangled = pick(random, [
        `${target}.`,
        target.replace('.', ''),
        `${target.split('.')[0]}.__proto__`,
        `${target.split('.')[0]}.constructor`,
        `__proto__.${target.split('.')[1]}`,
        `${target}${'x'.repeat(10_000)}`,
        '.',
      ]);
      return { headers: { ...headers, 'x-amz-target': mangled }, body, label: 'target-mangled' };
    }
    case 6:
      return {
        headers: { ...headers, 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' },
        body: Buffer.from([0xa1, 0x61]),
        label: 'rpc-v2-cbor-truncated',
      };
    default:
      return {
        headers: {
          ...headers,
          authorization: pick(random, ['garbage', 'AWS4-HMAC-SHA256 Credential=a/b/c/d/e', '']),
        },
        body,
        label: 'authorization',
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Query protocol mutations

/** Percent-encodes text as UTF-8 (a lone surrogate becomes U+FFFD, as a client would send it). */
function percentEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
  }
}

function encodeForm(params: readonly (readonly [string, string])[]): string {
  return params.map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`).join('&');
}

function mutateQuery(
  random: SeededRandom,
  operation: string,
  params: readonly (readonly [string, string])[],
): { body: string; label: string } {
  const all: [string, string][] = [
    ['Action', operation],
    ...params.map(([k, v]) => [k, v] as [string, string]),
  ];
  const index = random.integer(0, all.length - 1);
  const member = all[index]![0];
  const replace = (value: string, label: string) => {
    all[index] = [member, value];
    return { body: encodeForm(all), label: `${label} ${member}` };
  };
  switch (random.integer(0, 9)) {
    case 0:
      return replace(String(pick(random, WRONG_TYPES)), 'wrong-type');
    case 1:
      return replace(String(pick(random, HUGE_NUMBERS)), 'huge-number');
    case 2:
      // Form values stay under 300k characters: enough for SNS's 256 KB, cheap to encode.
      return replace(longString(random, LONG_LENGTHS.slice(0, -1)), 'long-string');
    case 3:
      return replace(pick(random, PROTOTYPE_NAMES), 'prototype-value');
    case 4: {
      const name = pick(random, PROTOTYPE_NAMES);
      const key = pick(random, [
        name,
        `Attribute.1.Name`,
        `${name}.1`,
        `Tag.1.Key`,
        `MessageAttribute.1.Name`,
        `Attributes.entry.1.key`,
        `MessageAttributes.entry.1.Name`,
        `${name}.${name}.1`,
      ]);
      all.push([key, key.includes(name) ? 'x' : name]);
      if (key.endsWith('.Name') || key.endsWith('.key')) all.push([key.replace(/(Name|key)$/, 'Value'), 'x']);
      return { body: encodeForm(all), label: `prototype-key ${key}` };
    }
    case 5:
      all.push([
        pick(random, ['Attribute.99999999999.Name', 'Attribute.-1.Name', 'Tag.1e9.Key', 'Attribute.1.2.3.4']),
        'x',
      ]);
      return { body: encodeForm(all), label: 'odd-index' };
    case 6:
      all.push([Array.from({ length: pick(random, [100, 5000]) }, () => 'a').join('.'), 'x']);
      return { body: encodeForm(all), label: 'deep-key' };
    case 7:
      for (let i = 0; i < 5000; i++) all.push([`Attribute.${i}.Name`, 'DelaySeconds']);
      return { body: encodeForm(all), label: 'many-params' };
    case 8:
      return {
        body: `${encodeForm(all)}&${pick(random, ['MessageBody=%E0%A4%A', 'Message=%ZZ', '%=%', 'a=%', '%C0%AF=1', 'MessageBody=%ED%A0%80'])}`,
        label: 'bad-percent-encoding',
      };
    default:
      return replace(pick(random, BAD_UNICODE), 'bad-unicode');
  }
}

// ---------------------------------------------------------------------------------------------
// The corpus

export interface CorpusOptions {
  readonly seed: number;
  /** Mutated requests per JSON/query template. */
  readonly perTemplate?: number;
  /** Operation names from the SDK packages (sent with `{}` and broken bodies). */
  readonly sdkOperations?: Readonly<Record<string, readonly string[]>>;
  /** Include the few requests of 17+ MiB (bodies over the limit, decompression bombs). */
  readonly oversized?: boolean;
}

export function buildCorpus(host: string, options: CorpusOptions): FuzzRequest[] {
  const random = new SeededRandom(options.seed);
  const perTemplate = options.perTemplate ?? 16;
  const requests: FuzzRequest[] = [];
  const queueUrl = (name: string) => `http://${host}/${ACCOUNT}/${name}`;
  const add = (request: Omit<FuzzRequest, 'id'>) => requests.push({ id: requests.length, ...request });

  for (const protocol of JSON_PROTOCOLS) {
    const headersFor = (operation: string): Record<string, string> => ({
      'content-type': protocol.contentType,
      'x-amz-target': `${protocol.targetPrefix}.${operation}`,
      authorization: authorization(protocol.signingName),
    });
    const dynamo = protocol.service === 'dynamodb';
    for (const template of protocol.templates(queueUrl)) {
      const valid = JSON.stringify(template.input);
      // Every template gets the mutations that found crashes and hangs at least once (huge
      // numbers, long strings, deep nesting, prototype keys), then random ones.
      for (const kind of ALWAYS) {
        const mutated = mutateJson(random, template.input, dynamo, kind);
        add({
          service: protocol.service,
          label: `${protocol.service} ${template.operation} ${mutated.label}`,
          method: 'POST',
          path: '/',
          headers: headersFor(template.operation),
          body: Buffer.from(mutated.body),
        });
      }
      for (let i = 0; i < perTemplate; i++) {
        const headers = headersFor(template.operation);
        const roll = random.next();
        if (roll < 0.7) {
          const mutated = mutateJson(random, template.input, dynamo);
          add({
            service: protocol.service,
            label: `${protocol.service} ${template.operation} ${mutated.label}`,
            method: 'POST',
            path: '/',
            headers,
            body: Buffer.from(mutated.body),
          });
        } else if (roll < 0.85) {
          const broken = brokenBody(random, valid);
          add({
            service: protocol.service,
            label: `${protocol.service} ${template.operation} ${broken.label}`,
            method: 'POST',
            path: '/',
            headers,
            body: broken.body,
          });
        } else {
          const broken = brokenHeaders(random, headers, Buffer.from(valid));
          add({
            service: protocol.service,
            label: `${protocol.service} ${template.operation} ${broken.label}`,
            method: 'POST',
            path: '/',
            headers: broken.headers,
            body: broken.body,
          });
        }
      }
    }
    for (const operation of options.sdkOperations?.[protocol.service] ?? []) {
      add({
        service: protocol.service,
        label: `${protocol.service} ${operation} sdk-operation`,
        method: 'POST',
        path: '/',
        headers: headersFor(operation),
        body: random.chance(0.5) ? Buffer.from('{}') : brokenBody(random, '{"Name":"x"}').body,
      });
    }
  }

  for (const protocol of QUERY_PROTOCOLS) {
    for (const template of protocol.templates(queueUrl)) {
      for (let i = 0; i < perTemplate; i++) {
        const mutated = mutateQuery(random, template.operation, template.params);
        const viaUrl = random.chance(0.2);
        add({
          service: protocol.service,
          label: `${protocol.service} ${template.operation} ${mutated.label}${viaUrl ? ' (in url)' : ''}`,
          method: 'POST',
          path: viaUrl ? `${template.path ?? '/'}?${mutated.body}` : (template.path ?? '/'),
          headers: {
            'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
            authorization: authorization(protocol.signingName),
          },
          body: viaUrl ? Buffer.alloc(0) : Buffer.from(mutated.body),
        });
      }
    }
    for (const operation of options.sdkOperations?.[protocol.service] ?? []) {
      add({
        service: protocol.service,
        label: `${protocol.service} ${operation} sdk-operation`,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: authorization(protocol.signingName),
        },
        body: Buffer.from(`Action=${operation}&Version=2012-11-05`),
      });
    }
  }

  for (const template of LAMBDA_TEMPLATES) {
    for (let i = 0; i < perTemplate; i++) {
      const roll = random.next();
      let path = template.path;
      let body = template.input ? JSON.stringify(template.input) : '';
      let label: string;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        authorization: authorization('lambda'),
        ...template.headers,
      };
      if (roll < 0.3) {
        const segments = path.split('?')[0]!.split('/');
        const index = random.integer(1, segments.length - 1);
        const broken = pick(random, [
          '%E0%A4%A',
          '%',
          '%ZZ',
          '%00',
          '..',
          '__proto__',
          'constructor',
          'x'.repeat(5000),
          encodeURIComponent('a:b:function:'),
          '',
        ]);
        segments[index] = broken;
        path = segments.join('/');
        label = `path-segment ${index}=${broken.slice(0, 12)}`;
      } else if (roll < 0.7 && template.input) {
        const mutated = mutateJson(random, template.input, false);
        body = mutated.body;
        label = mutated.label;
      } else if (roll < 0.85) {
        const broken = brokenBody(random, body || '{}');
        body = broken.body.toString('latin1');
        label = broken.label;
      } else {
        const type = pick(random, ['Event', 'RequestResponse', 'DryRun', 'Tail', '', '__proto__']);
        headers['x-amz-invocation-type'] = type;
        headers['x-amz-log-type'] = pick(random, ['Tail', 'None', 'x']);
        label = `invocation-type ${type}`;
      }
      // Invocations that would really run the fixture function stay DryRun or go to a missing one.
      if (template.operation === 'Invoke' && path.includes(FUZZ_FUNCTION))
        headers['x-amz-invocation-type'] = 'DryRun';
      add({
        service: 'lambda',
        label: `lambda ${template.operation} ${label}`,
        method: template.method,
        path,
        headers,
        body: Buffer.from(body, 'latin1'),
      });
    }
  }

  if (options.oversized) {
    const json = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.PutItem',
      authorization: authorization('dynamodb'),
    };
    // 64 gzip members of 1 MiB each (a valid multi-member gzip stream): 64 MiB decompressed,
    // without spending seconds compressing 64 MiB.
    const member = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    add({
      service: 'server',
      label: 'server oversized 17 MiB JSON body',
      method: 'POST',
      path: '/',
      headers: json,
      body: Buffer.alloc(17 * 1024 * 1024, 0x20),
    });
    add({
      service: 'server',
      label: 'server oversized 17 MiB form body',
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization('sqs') },
      body: Buffer.from(`Action=SendMessage&MessageBody=${'a'.repeat(17 * 1024 * 1024)}`),
    });
    add({
      service: 'server',
      label: `server gzip bomb ${Math.round(bomb.length / 1024)} KB -> 64 MiB`,
      method: 'POST',
      path: '/',
      headers: { ...json, 'content-encoding': 'gzip' },
      body: bomb,
    });
    add({
      service: 'server',
      label: 'server gzip bomb to the SNS query endpoint',
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-encoding': 'gzip',
        authorization: authorization('sns'),
      },
      body: bomb,
    });
  }

  // Interleave services so one service's state does not sit in one long stretch.
  const shuffled = [...requests];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = random.integer(0, i);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled.map((request, id) => ({ ...request, id }));
}

/** The resources the corpus names, created with well-formed requests before it runs. */
export function setupRequests(host: string): FuzzRequest[] {
  const json = (
    target: string,
    signing: string,
    input: unknown,
    contentType = 'application/x-amz-json-1.0',
  ) => ({
    service: 'setup',
    label: `setup ${target}`,
    method: 'POST',
    path: '/',
    headers: { 'content-type': contentType, 'x-amz-target': target, authorization: authorization(signing) },
    body: Buffer.from(JSON.stringify(input)),
  });
  const list: Omit<FuzzRequest, 'id'>[] = [
    json('AmazonSQS.CreateQueue', 'sqs', { QueueName: FUZZ_QUEUE }),
    json('AmazonSQS.CreateQueue', 'sqs', { QueueName: FUZZ_FIFO_QUEUE, Attributes: { FifoQueue: 'true' } }),
    json('DynamoDB_20120810.CreateTable', 'dynamodb', {
      TableName: FUZZ_TABLE,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
    json('DynamoDB_20120810.PutItem', 'dynamodb', { TableName: FUZZ_TABLE, Item: ITEM }),
    json('GraniteServiceVersion20100801.PutMetricAlarm', 'monitoring', {
      AlarmName: FUZZ_ALARM,
      MetricName: 'Errors',
      Namespace: 'Fuzz',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
    json(
      'AWSEvents.PutRule',
      'events',
      { Name: FUZZ_RULE, ScheduleExpression: 'rate(1 minute)' },
      'application/x-amz-json-1.1',
    ),
    json(
      'AWSEvents.PutTargets',
      'events',
      { Rule: FUZZ_RULE, Targets: [{ Id: 'q', Arn: QUEUE_ARN }] },
      'application/x-amz-json-1.1',
    ),
    {
      service: 'setup',
      label: 'setup sns CreateTopic',
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization('sns') },
      body: Buffer.from(`Action=CreateTopic&Name=${FUZZ_TOPIC}`),
    },
  ];
  void host;
  return list.map((request, id) => ({ ...request, id }));
}

// ---------------------------------------------------------------------------------------------
// Sending

export interface SendOptions {
  /** Milliseconds a request may take before it counts as hung. */
  readonly deadlineMs: number;
  readonly agent?: Agent;
}

/** Sends one request; never throws: failures are in the outcome. */
export function send(endpoint: URL, request: FuzzRequest, options: SendOptions): Promise<FuzzOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<FuzzOutcome, 'request' | 'elapsedMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const elapsedMs = performance.now() - started;
      resolve({
        request,
        elapsedMs,
        ...outcome,
        // An answer that came only after the deadline (a blocked event loop) is a hang too.
        ...(elapsedMs > options.deadlineMs ? { timedOut: true } : {}),
      });
    };
    const req = httpRequest(
      {
        host: endpoint.hostname,
        port: endpoint.port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, 'content-length': String(request.body.length) },
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          finish({
            status: res.statusCode ?? 0,
            errorType: errorTypeOf(res.headers['x-amzn-errortype'], Buffer.concat(chunks).toString('utf8')),
          });
        });
        res.on('error', (error) => finish({ networkError: error.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ timedOut: true });
      req.destroy();
    }, options.deadlineMs);
    req.on('error', (error: NodeJS.ErrnoException) => finish({ networkError: error.code ?? error.message }));
    req.end(request.body);
  });
}

function errorTypeOf(header: string | string[] | undefined, body: string): string | undefined {
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader.split(':')[0];
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  if (code) return code;
  try {
    const parsed = JSON.parse(body) as { __type?: string };
    return parsed.__type?.split('#').at(-1);
  } catch {
    return undefined;
  }
}

export interface RunOptions extends SendOptions {
  readonly batchSize: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Between batches: health, snapshot, alarm evaluation... Throwing counts as a crash. */
  readonly checks: Readonly<Record<string, () => Promise<unknown>>>;
}

/** Sends the corpus in batches and runs the checks after each; returns what went wrong. */
export async function runCorpus(
  endpoint: string,
  corpus: readonly FuzzRequest[],
  options: RunOptions,
): Promise<FuzzReport> {
  const url = new URL(endpoint);
  const started = performance.now();
  const outcomes: FuzzOutcome[] = [];
  const crashes: FuzzCheckFailure[] = [];
  let checkMs = 0;
  const startMemory = process.memoryUsage();
  let rssPeak = startMemory.rss;
  let heapPeak = startMemory.heapUsed;
  const sample = () => {
    const memory = process.memoryUsage();
    rssPeak = Math.max(rssPeak, memory.rss);
    heapPeak = Math.max(heapPeak, memory.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  const processErrors: unknown[] = [];
  const onProcessError = (error: unknown) => processErrors.push(error);
  process.on('uncaughtException', onProcessError);
  process.on('unhandledRejection', onProcessError);
  try {
    for (let offset = 0; offset < corpus.length; offset += options.batchSize) {
      const batch = corpus.slice(offset, offset + options.batchSize);
      let next = 0;
      const worker = async () => {
        while (next < batch.length) {
          const request = batch[next++]!;
          outcomes.push(await send(url, request, options));
          sample();
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      const after = `batch ending at request ${batch.at(-1)!.id} (${batch.at(-1)!.label})`;
      for (const [check, run] of Object.entries(options.checks)) {
        const checkStarted = performance.now();
        checkMs -= checkStarted;
        try {
          await withDeadline(run(), options.deadlineMs, check);
        } catch (error) {
          crashes.push({ after, check, error: error instanceof Error ? error.message : String(error) });
        }
        if (performance.now() - checkStarted > options.deadlineMs) {
          crashes.push({ after, check, error: `took ${Math.round(performance.now() - checkStarted)} ms` });
        }
        checkMs += performance.now();
        sample();
      }
      for (const error of processErrors.splice(0)) {
        crashes.push({
          after,
          check: 'process',
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  } finally {
    clearInterval(sampler);
    process.off('uncaughtException', onProcessError);
    process.off('unhandledRejection', onProcessError);
  }
  const statusCounts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = outcome.timedOut ? 'hang' : outcome.networkError ? 'reset' : String(outcome.status);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
  }
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return {
    requests: outcomes.length,
    durationMs: Math.round(performance.now() - started),
    serverErrors: outcomes.filter((o) => !o.timedOut && (o.status ?? 0) >= 500),
    resets: outcomes.filter((o) => !o.timedOut && o.networkError !== undefined),
    hangs: outcomes.filter((o) => o.timedOut),
    crashes,
    statusCounts,
    memory: {
      rssStartMb: mb(startMemory.rss),
      rssPeakMb: mb(rssPeak),
      heapStartMb: mb(startMemory.heapUsed),
      heapPeakMb: mb(heapPeak),
    },
    slowest: [...outcomes].sort((a, b) => b.elapsedMs - a.elapsedMs).slice(0, 5),
    timeByKind: timeByKind(outcomes),
    checkMs: Math.round(checkMs),
  };
}

function timeByKind(outcomes: readonly FuzzOutcome[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const outcome of outcomes) {
    const [service, , kind] = outcome.request.label.split(' ');
    const key = `${service} ${kind}`;
    totals.set(key, (totals.get(key) ?? 0) + outcome.elapsedMs);
  }
  return [...totals]
    .map(([key, ms]): [string, number] => [key, Math.round(ms)])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Distinct causes of 5xx answers: operation, mutation kind and error name. */
export function distinctCauses(outcomes: readonly FuzzOutcome[]): string[] {
  const causes = new Set<string>();
  for (const outcome of outcomes) {
    const [service, operation, kind] = outcome.request.label.split(' ');
    causes.add(`${service} ${operation} ${kind} -> ${outcome.status ?? ''} ${outcome.errorType ?? ''}`);
  }
  return [...causes].sort();
}

/** One line per problem (5xx cause, reset, hang, failed check); empty when the run was clean. */
export function problems(report: FuzzReport): string[] {
  return [
    ...distinctCauses(report.serverErrors).map((cause) => `5xx: ${cause}`),
    ...report.resets.map((o) => `reset: #${o.request.id} ${o.request.label}: ${o.networkError}`),
    ...report.hangs.map((o) => `hang: #${o.request.id} ${o.request.label} (${Math.round(o.elapsedMs)} ms)`),
    ...report.crashes.map((c) => `crash: ${c.check} after ${c.after}: ${c.error.slice(0, 200)}`),
  ];
}

/** The run's figures, its problems, and where its time went: the test's log and the before/after note. */
export function summarise(report: FuzzReport): string {
  return [
    `${report.requests} requests in ${report.durationMs} ms: ${report.serverErrors.length} answers of 5xx ` +
      `(${distinctCauses(report.serverErrors).length} distinct operation/mutation/error groups), ` +
      `${report.resets.length} resets, ${report.hangs.length} hangs, ${report.crashes.length} failed checks; ` +
      `RSS ${report.memory.rssStartMb} -> peak ${report.memory.rssPeakMb} MB, ` +
      `heap ${report.memory.heapStartMb} -> peak ${report.memory.heapPeakMb} MB`,
    `statuses: ${JSON.stringify(report.statusCounts)}`,
    ...problems(report).map((line) => `  ${line}`),
    ...report.slowest.map(
      (o) => `  slowest: #${o.request.id} ${o.request.label} ${Math.round(o.elapsedMs)} ms`,
    ),
    `time: ${report.checkMs} ms in checks; request time by kind (overlapping): ${report.timeByKind
      .map(([kind, ms]) => `${kind} ${ms}`)
      .join(', ')}`,
  ].join('\n');
}
