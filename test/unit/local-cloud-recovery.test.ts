/**
 * Recovery of a --data-dir (docs/local-cloud-durability.md). A crash image is taken by copying the
 * directory of a running local cloud after its writes were acknowledged - what kill -9 would leave
 * on disk - and then damaged the way an interrupted write or a bad disk would: a torn or corrupt
 * last log frame, a truncated snapshot, leftover temporary files, a truncated state.json of the
 * previous format.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import { decodeLog, encodeFrame, LOG_MAGIC } from '../../packages/local-cloud/src/persistence/frames.js';
import { WriteAheadLog } from '../../packages/local-cloud/src/persistence/write-ahead-log.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/server.js';
import { SqsEngine } from '../../packages/local-cloud/src/sqs/engine.js';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const directories: string[] = [];
const running: { cloud: LocalCloud; sqs: SQSClient; dynamodb: DynamoDBClient }[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const { cloud, sqs, dynamodb } of running.splice(0)) {
    sqs.destroy();
    dynamodb.destroy();
    await cloud.stop();
  }
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oncely-recovery-'));
  directories.push(dir);
  return dir;
}

async function start(dataDir: string) {
  const cloud = await startLocalCloud({ port: 0, dataDir, monitoring: { tickMs: 0, queueStats: false } });
  const options = { endpoint: cloud.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 };
  const started = { cloud, sqs: new SQSClient(options), dynamodb: new DynamoDBClient(options) };
  running.push(started);
  return { ...started, queueUrl: `${cloud.endpoint}/000000000000/q` };
}

type Started = Awaited<ReturnType<typeof start>>;

async function setUp(local: Started): Promise<void> {
  await local.sqs.send(new CreateQueueCommand({ QueueName: 'q' }));
  await local.dynamodb.send(
    new CreateTableCommand({
      TableName: 'items',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}

const send = (local: Started, body: string) =>
  local.sqs.send(new SendMessageCommand({ QueueUrl: local.queueUrl, MessageBody: body }));
const put = (local: Started, key: string) =>
  local.dynamodb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: key } } }));

async function bodies(local: Started): Promise<string[]> {
  const { Messages = [] } = await local.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: local.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
  );
  return Messages.map((message) => message.Body!).sort();
}

async function present(local: Started, key: string): Promise<boolean> {
  const { Item } = await local.dynamodb.send(
    new GetItemCommand({ TableName: 'items', Key: { pk: { S: key } }, ConsistentRead: true }),
  );
  return Item !== undefined;
}

/** What kill -9 would leave: the directory as it is on disk right now. */
function crashImage(dataDir: string): string {
  const image = directory();
  cpSync(dataDir, image, { recursive: true });
  return image;
}

const newest = (dir: string, prefix: string) =>
  readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && !name.endsWith('.damaged'))
    .sort()
    .at(-1)!;

function warnings(): string[] {
  return vi.mocked(console.error).mock.calls.map((call) => String(call[0]));
}

describe('log frames', () => {
  const log = Buffer.concat([LOG_MAGIC, encodeFrame(['{"a":1}', '{"b":2}']), encodeFrame(['{"c":3}'])]);

  it('reads every record of intact frames', () => {
    expect(decodeLog(log)).toEqual({
      lines: ['{"a":1}', '{"b":2}', '{"c":3}'],
      frames: 2,
      validBytes: log.length,
    });
  });

  it('stops at a frame cut short, wherever the cut falls', () => {
    const first = LOG_MAGIC.length + encodeFrame(['{"a":1}', '{"b":2}']).length;
    for (const cut of [first + 1, first + 7, first + 9, log.length - 1]) {
      const decoded = decodeLog(log.subarray(0, cut));
      expect(decoded.lines).toEqual(['{"a":1}', '{"b":2}']);
      expect(decoded.validBytes).toBe(first);
      expect(decoded.damage).toMatch(/torn frame/);
    }
  });

  it('stops at a frame whose checksum does not match', () => {
    const corrupt = Buffer.from(log);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 2) ^ 0x01, corrupt.length - 2);
    const decoded = decodeLog(corrupt);
    expect(decoded.lines).toEqual(['{"a":1}', '{"b":2}']);
    expect(decoded.damage).toMatch(/checksum mismatch/);
  });

  it('reads a log whose magic was only partly written as empty', () => {
    expect(decodeLog(LOG_MAGIC.subarray(0, 3))).toEqual({ lines: [], frames: 0, validBytes: 3 });
  });
});

describe('group commit', () => {
  it('makes concurrent appends durable with fewer writes than there are waiters', async () => {
    const dir = directory();
    const log = new WriteAheadLog(dir, 1);
    const synced: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      log.append(JSON.stringify({ i }));
      synced.push(log.sync());
      // Half of the appends arrive while a write is in flight.
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(synced);
    await log.close();
    const decoded = decodeLog(readFileSync(join(dir, 'wal-000000000001.log')));
    expect(decoded.lines).toHaveLength(200);
    expect(decoded.frames).toBeLessThan(200);
    expect(decoded.damage).toBeUndefined();
  });
});

describe('replaying the log', () => {
  // Every kind of record, then a crash image: the state rebuilt from snapshot + log must equal the
  // live state at the moment of the image (message versions aside: they only order heap entries).
  it('rebuilds exactly the state the live cloud had', async () => {
    const clock = new ManualClock();
    const dataDir = directory();
    const monitoring = { tickMs: 0, queueStats: false as const };
    const cloud = await startLocalCloud({ port: 0, dataDir, clock, monitoring });
    const options = {
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
    };
    const sqs = new SQSClient(options);
    const dynamodb = new DynamoDBClient(options);
    const cloudwatch = new CloudWatchClient(options);
    const sns = new SNSClient(options);
    const events = new EventBridgeClient(options);
    running.push({ cloud, sqs, dynamodb });
    try {
      // SQS: a DLQ move, visibility changes, deletes, FIFO dedup, tags, purge, a deleted queue, a move task.
      const url = async (QueueName: string, Attributes?: Record<string, string>) =>
        (await sqs.send(new CreateQueueCommand({ QueueName, Attributes }))).QueueUrl!;
      const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:dlq';
      const dlq = await url('dlq');
      const source = await url('source', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
      });
      for (const body of ['a', 'b', 'c', 'd']) {
        await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: body }));
      }
      const receive = async (QueueUrl: string, extra: Record<string, unknown> = {}) =>
        (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2, ...extra })))
          .Messages ?? [];
      const visibility = (ReceiptHandle: string | undefined, VisibilityTimeout: number) =>
        sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: source, ReceiptHandle, VisibilityTimeout }));
      const [first, second] = await receive(source, { VisibilityTimeout: 30 });
      await visibility(first!.ReceiptHandle, 0);
      await visibility(second!.ReceiptHandle, 300);
      // Received once already: the next receive moves the first message to the DLQ instead.
      await receive(source, { VisibilityTimeout: 60 });
      const [third] = await receive(source, { VisibilityTimeout: 60 });
      if (third)
        await sqs.send(new DeleteMessageCommand({ QueueUrl: source, ReceiptHandle: third.ReceiptHandle }));
      const fifo = await url('ordered.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
      for (const body of ['x', 'y', 'x']) {
        await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: body, MessageGroupId: 'g' }));
      }
      await receive(fifo, { ReceiveRequestAttemptId: 'attempt', MaxNumberOfMessages: 1 });
      await sqs.send(new TagQueueCommand({ QueueUrl: fifo, Tags: { team: 'core' } }));
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: dlq, Attributes: { DelaySeconds: '5' } }));
      const purged = await url('purged');
      await sqs.send(new SendMessageCommand({ QueueUrl: purged, MessageBody: 'gone' }));
      await sqs.send(new PurgeQueueCommand({ QueueUrl: purged }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: await url('deleted') }));
      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
      const moved = (async () => {
        for (;;) {
          const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
          if (Results[0]?.Status !== 'RUNNING') return Results[0]?.Status;
        }
      })();
      expect(await within(moved, 10_000, 'the move task did not finish')).toBe('COMPLETED');

      // DynamoDB: every write operation, TTL, a new index, a deleted table.
      const table = (TableName: string) =>
        dynamodb.send(
          new CreateTableCommand({
            TableName,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          }),
        );
      await table('items');
      await table('doomed');
      for (const key of ['k1', 'k2', 'k3']) {
        await dynamodb.send(
          new PutItemCommand({ TableName: 'items', Item: { pk: { S: key }, kind: { S: 'plain' } } }),
        );
      }
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: 'items',
          Key: { pk: { S: 'k1' } },
          UpdateExpression: 'SET n = :n, kind = :kind',
          ExpressionAttributeValues: { ':n': { N: '7' }, ':kind': { S: 'special' } },
        }),
      );
      await dynamodb.send(new DeleteItemCommand({ TableName: 'items', Key: { pk: { S: 'k2' } } }));
      await dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: {
            items: [
              { PutRequest: { Item: { pk: { S: 'b1' } } } },
              { DeleteRequest: { Key: { pk: { S: 'k3' } } } },
            ],
          },
        }),
      );
      await dynamodb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'items', Item: { pk: { S: 't1' }, kind: { S: 'special' } } } },
            { Delete: { TableName: 'items', Key: { pk: { S: 'b1' } } } },
          ],
        }),
      );
      await dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: 'items',
          TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true },
        }),
      );
      await dynamodb.send(
        new UpdateTableCommand({
          TableName: 'items',
          AttributeDefinitions: [{ AttributeName: 'kind', AttributeType: 'S' }],
          GlobalSecondaryIndexUpdates: [
            {
              Create: {
                IndexName: 'byKind',
                KeySchema: [{ AttributeName: 'kind', KeyType: 'HASH' }],
                Projection: { ProjectionType: 'ALL' },
              },
            },
          ],
        }),
      );
      await dynamodb.send(new DeleteTableCommand({ TableName: 'doomed' }));

      // CloudWatch (datums and an alarm), SNS and EventBridge (whole-state records).
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'Test',
          MetricData: [{ MetricName: 'Orders', Value: 3, Timestamp: new Date(clock.now()) }],
        }),
      );
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: 'orders',
          Namespace: 'Test',
          MetricName: 'Orders',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
      await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
      await events.send(new PutRuleCommand({ Name: 'hourly', ScheduleExpression: 'rate(1 hour)' }));
      // Any answer waits for everything logged before it.
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['All'] }));

      const image = crashImage(dataDir);
      const live = stateOf(cloud);
      const recovered = await startLocalCloud({ port: 0, dataDir: image, clock, monitoring });
      try {
        const state = stateOf(recovered);
        for (const key of Object.keys(live)) expect(state[key], key).toEqual(live[key]);
        // Snapshots hold no index contents: the index added by the log must be usable too.
        const reader = new DynamoDBClient({ ...options, endpoint: recovered.endpoint });
        const { Items = [] } = await reader.send(
          new QueryCommand({
            TableName: 'items',
            IndexName: 'byKind',
            KeyConditionExpression: 'kind = :kind',
            ExpressionAttributeValues: { ':kind': { S: 'special' } },
          }),
        );
        reader.destroy();
        expect(Items.map((item) => item.pk?.S).sort()).toEqual(['k1', 't1']);
      } finally {
        await recovered.stop();
      }
    } finally {
      cloudwatch.destroy();
      sns.destroy();
      events.destroy();
    }
  });
});

/** Each service's snapshot as plain data, without SQS message versions. */
function stateOf(cloud: LocalCloud): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const [key, service] of Object.entries(cloud.services)) {
    if (!service.snapshot) continue;
    state[key] = JSON.parse(JSON.stringify(service.snapshot()), (name, value) =>
      name === 'version' && typeof value === 'number' ? undefined : value,
    );
  }
  return state;
}

/** Rejects with `message` unless `promise` settles within `ms`. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (within ${ms} ms)`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

describe('recovering a --data-dir', () => {
  it('ignores a torn last log frame: the interrupted transaction is absent as a whole', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const dataDir = directory();
    const first = await start(dataDir);
    await setUp(first);
    await send(first, 'm1');
    await put(first, 'k1');
    // The last request: its three items share one frame.
    await first.dynamodb.send(
      new TransactWriteItemsCommand({
        TransactItems: ['x', 'y', 'z'].map((key) => ({
          Put: { TableName: 'items', Item: { pk: { S: key } } },
        })),
      }),
    );
    const image = crashImage(dataDir);
    const log = newest(image, 'wal-');
    truncateSync(join(image, log), readFileSync(join(image, log)).length - 5);

    const second = await start(image);
    expect(await bodies(second)).toEqual(['m1']);
    expect(await present(second, 'k1')).toBe(true);
    expect(await Promise.all(['x', 'y', 'z'].map((key) => present(second, key)))).toEqual([
      false,
      false,
      false,
    ]);
    expect(warnings().some((text) => text.includes(log) && text.includes('torn frame'))).toBe(true);
  });

  it('ignores a last frame whose checksum fails, and keeps everything before it', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const dataDir = directory();
    const first = await start(dataDir);
    await setUp(first);
    await send(first, 'm1');
    await put(first, 'k1');
    await put(first, 'k2');
    const image = crashImage(dataDir);
    const log = join(image, newest(image, 'wal-'));
    const data = readFileSync(log);
    data.writeUInt8(data.readUInt8(data.length - 3) ^ 0x20, data.length - 3);
    writeFileSync(log, data);

    const second = await start(image);
    expect(await bodies(second)).toEqual(['m1']);
    expect(await present(second, 'k1')).toBe(true);
    expect(await present(second, 'k2')).toBe(false);
    expect(warnings().some((text) => text.includes('checksum mismatch'))).toBe(true);
  });

  it('starts from the snapshot before a truncated one, plus the logs after it', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const dataDir = directory();
    const first = await start(dataDir);
    await setUp(first);
    await send(first, 'before-compaction');
    await put(first, 'k1');
    await first.cloud.flush();
    await send(first, 'after-compaction');
    await put(first, 'k2');
    const image = crashImage(dataDir);
    const snapshot = newest(image, 'snapshot-');
    truncateSync(join(image, snapshot), Math.floor(readFileSync(join(image, snapshot)).length / 2));

    const second = await start(image);
    expect(await bodies(second)).toEqual(['after-compaction', 'before-compaction']);
    expect(await present(second, 'k1')).toBe(true);
    expect(await present(second, 'k2')).toBe(true);
    expect(existsSync(join(image, `${snapshot}.damaged`))).toBe(true);
    expect(warnings().some((text) => text.includes(snapshot) && text.includes('truncated'))).toBe(true);
  });

  it('refuses to start, naming the file, when no intact snapshot is left', async () => {
    const dataDir = directory();
    const first = await start(dataDir);
    await setUp(first);
    const image = crashImage(dataDir);
    const snapshot = newest(image, 'snapshot-');
    truncateSync(join(image, snapshot), 10);

    // And again on the next try: a refused start must not leave a directory that starts empty.
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(startLocalCloud({ port: 0, dataDir: image })).rejects.toThrow(
        new RegExp(`no intact snapshot.*${snapshot}.*damaged`),
      );
    }
  });

  it('removes the temporary files an interrupted write left, and only those', async () => {
    const dataDir = directory();
    const first = await start(dataDir);
    await setUp(first);
    await send(first, 'm1');
    const image = crashImage(dataDir);
    const leftovers = ['snapshot-000000000002.json.4242.tmp', 'state.json.4242.tmp'];
    for (const name of [...leftovers, 'notes.tmp']) writeFileSync(join(image, name), '{"half');

    const second = await start(image);
    expect(await bodies(second)).toEqual(['m1']);
    const names = readdirSync(image);
    for (const name of leftovers) expect(names).not.toContain(name);
    expect(names).toContain('notes.tmp');
  });

  it("reads the previous format's state.json once, then keeps its state in the new files", async () => {
    const dataDir = directory();
    const engine = new SqsEngine(new ManualClock());
    engine.createQueue(
      { QueueName: 'q' },
      { host: 'localhost', region: 'us-east-1', accountId: '000000000000' },
    );
    writeFileSync(
      join(dataDir, 'state.json'),
      JSON.stringify({ version: 1, services: { sqs: engine.snapshot() } }),
    );

    const first = await start(dataDir);
    await send(first, 'kept');
    expect(existsSync(join(dataDir, 'state.json'))).toBe(false);
    await first.cloud.stop();
    running.splice(0);
    first.sqs.destroy();
    first.dynamodb.destroy();

    const second = await start(dataDir);
    expect(await bodies(second)).toEqual(['kept']);
  });

  it('refuses a truncated state.json of the previous format with an error naming it', async () => {
    const dataDir = directory();
    writeFileSync(join(dataDir, 'state.json'), '{"version":1,"services":{"sqs":{"queu');
    await expect(startLocalCloud({ port: 0, dataDir })).rejects.toThrow(
      /state\.json .*cannot be read.*move the file away/,
    );
  });
});
