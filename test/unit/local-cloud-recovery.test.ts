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
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
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
