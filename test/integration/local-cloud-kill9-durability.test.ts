/**
 * Acknowledged means durable (docs/local-cloud-durability.md): the built local cloud runs with
 * --data-dir in a child process under a steady stream of SQS sends and deletes and DynamoDB
 * conditional puts and deletes, is killed with SIGKILL at seeded random moments and restarted on
 * the same directory each time. Nothing it acknowledged may be lost: every acknowledged send is
 * still receivable or was deleted, every acknowledged put is readable, every acknowledged delete
 * stays deleted, and no temporary file survives a restart. Loopback only; bounded well under 60 s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../packages/local-cloud/src/faults/seeded-random.js';

const SEED = Number(process.env.DURABILITY_SEED ?? 20261202);
const KILLS = 4;
const QUEUE = 'durable';
const TABLE = 'durable';
const CHILD = fileURLToPath(new URL('../support/local-cloud-child.mjs', import.meta.url));
/** The built package the child runs; another build (an older commit's) can be checked by path. */
const BUILT =
  process.env.DURABILITY_CLOUD_MODULE ??
  fileURLToPath(new URL('../../packages/local-cloud/dist/esm/index.js', import.meta.url));
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Rejects with `message` unless `promise` settles within `ms`. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (no answer within ${ms} ms)`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

interface Child {
  readonly process: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

async function startChild(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, [CHILD, dataDir, BUILT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n')[0];
        if (stdout.includes('\n')) resolve((JSON.parse(line!) as { port: number }).port);
      });
      void exited.then(() => reject(new Error(`the local cloud exited before listening:\n${stderr}`)));
    }),
    20_000,
    'the local cloud child did not start listening',
  );
  return { process: child, port, exited };
}

/** What the server acknowledged (and what was attempted without an answer, which may or may not have happened). */
class Ledger {
  readonly sent = new Set<string>();
  readonly deleteAttempted = new Set<string>();
  readonly deleted = new Set<string>();
  readonly put = new Set<string>();
  readonly itemDeleteAttempted = new Set<string>();
  readonly itemDeleted = new Set<string>();
  readonly violations: string[] = [];

  get acknowledged(): number {
    return this.sent.size + this.deleted.size + this.put.size + this.itemDeleted.size;
  }

  /** A message received again although its delete was acknowledged. */
  checkReceived(messages: readonly Message[]): void {
    for (const message of messages) {
      if (this.deleted.has(message.Body!)) {
        this.violations.push(`acknowledged delete came back: ${message.Body}`);
      }
    }
  }
}

function clients(port: number): { sqs: SQSClient; dynamodb: DynamoDBClient; queueUrl: string } {
  const endpoint = `http://127.0.0.1:${port}`;
  const options = { endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    sqs: new SQSClient(options),
    dynamodb: new DynamoDBClient(options),
    queueUrl: `${endpoint}/000000000000/${QUEUE}`,
  };
}

/**
 * Drives writes until the server goes away. A request that fails while the server still runs is a
 * violation (no 500s, no refusals); one cut off by the kill is simply unacknowledged.
 */
function stream(port: number, ledger: Ledger, killed: () => boolean) {
  const { sqs, dynamodb, queueUrl } = clients(port);
  let serial = 0;
  const fail = (error: unknown) => {
    if (!killed()) ledger.violations.push(`request failed while the server ran: ${String(error)}`);
  };
  const sender = async (name: string) => {
    for (let round = 0; ; round++) {
      const bodies = Array.from({ length: round % 2 === 0 ? 10 : 1 }, () => `${name}-${port}-${serial++}`);
      try {
        if (bodies.length === 1) {
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bodies[0] }));
          ledger.sent.add(bodies[0]!);
        } else {
          const { Successful = [], Failed = [] } = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })),
            }),
          );
          for (const entry of Successful) ledger.sent.add(bodies[Number(entry.Id)]!);
          if (Failed.length > 0)
            ledger.violations.push(`batch send entries failed: ${JSON.stringify(Failed)}`);
        }
      } catch (error) {
        return fail(error);
      }
    }
  };
  const receiver = async () => {
    for (let round = 0; ; round++) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        ledger.checkReceived(Messages);
        for (const message of Messages) ledger.deleteAttempted.add(message.Body!);
        if (round % 2 === 0) {
          const { Successful = [] } = await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((message, index) => ({
                Id: String(index),
                ReceiptHandle: message.ReceiptHandle,
              })),
            }),
          );
          for (const entry of Successful) ledger.deleted.add(Messages[Number(entry.Id)]!.Body!);
        } else {
          for (const message of Messages) {
            await sqs.send(
              new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
            );
            ledger.deleted.add(message.Body!);
          }
        }
      } catch (error) {
        return fail(error);
      }
    }
  };
  const putter = async (name: string) => {
    const mine: string[] = [];
    for (let round = 0; ; round++) {
      const key = `${name}-${port}-${serial++}`;
      try {
        await dynamodb.send(
          new PutItemCommand({
            TableName: TABLE,
            Item: { pk: { S: key }, round: { N: String(round) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        ledger.put.add(key);
        mine.push(key);
        // Every fifth round also deletes one of its earlier items.
        if (round % 5 === 4) {
          const victim = mine.shift()!;
          ledger.itemDeleteAttempted.add(victim);
          await dynamodb.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: victim } } }));
          ledger.itemDeleted.add(victim);
        }
      } catch (error) {
        return fail(error);
      }
    }
  };
  const loops = [sender('a'), sender('b'), sender('c'), receiver(), putter('p'), putter('q'), putter('r')];
  return {
    done: Promise.all(loops),
    destroy: () => {
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}

const dataDir = await mkdtemp(join(tmpdir(), 'oncely-kill9-'));
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('--data-dir under kill -9', () => {
  it(`loses no acknowledged write across ${KILLS} kills at seeded moments (seed ${SEED})`, async () => {
    expect(existsSync(BUILT), `${BUILT} is missing: run npm run build (npm test does)`).toBe(true);
    const random = new SeededRandom(SEED);
    const ledger = new Ledger();
    const rounds: string[] = [];
    const temporaries = () => readdirSync(dataDir).filter((name) => name.endsWith('.tmp'));

    for (let round = 0; round <= KILLS; round++) {
      const child = await startChild(dataDir);
      try {
        expect(temporaries(), `temporary files after restart ${round}`).toEqual([]);
        if (round === 0) await within(setUp(child.port), 10_000, 'creating the queue and the table');
        if (round === KILLS) {
          await within(verify(child.port, ledger), 40_000, 'checking every acknowledged write');
          break;
        }
        let killed = false;
        const load = stream(child.port, ledger, () => killed);
        const before = ledger.acknowledged;
        const delayMs = random.integer(300, 1500);
        // The kill itself is the schedule under test, not a wait for a condition.
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        killed = true;
        child.process.kill('SIGKILL');
        await within(child.exited, 10_000, 'the killed child did not exit');
        await within(load.done, 10_000, 'the write stream did not stop after the kill');
        load.destroy();
        rounds.push(`kill ${round + 1} after ${delayMs} ms: ${ledger.acknowledged - before} acknowledged`);
      } finally {
        if (child.process.exitCode === null && child.process.signalCode === null) {
          child.process.kill('SIGKILL');
          await within(child.exited, 10_000, 'the child did not exit');
        }
      }
    }
    console.log(
      `kill -9 durability, seed ${SEED}: ${ledger.acknowledged} acknowledged writes ` +
        `(${ledger.sent.size} sends, ${ledger.deleted.size} message deletes, ${ledger.put.size} puts, ` +
        `${ledger.itemDeleted.size} item deletes)\n  ${rounds.join('\n  ')}`,
    );
    expect(ledger.violations.slice(0, 10)).toEqual([]);
    expect(ledger.sent.size).toBeGreaterThan(0);
    expect(ledger.put.size).toBeGreaterThan(0);
  });
});

async function setUp(port: number): Promise<void> {
  const { sqs, dynamodb } = clients(port);
  try {
    await sqs.send(new CreateQueueCommand({ QueueName: QUEUE, Attributes: { VisibilityTimeout: '2' } }));
    await dynamodb.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } finally {
    sqs.destroy();
    dynamodb.destroy();
  }
}

/** After the last restart: every acknowledged write is there, every acknowledged delete is not. */
async function verify(port: number, ledger: Ledger): Promise<void> {
  const { sqs, dynamodb, queueUrl } = clients(port);
  try {
    // Drain: messages in flight when the server was killed come back once their 2 s visibility ends.
    const remaining = new Set<string>();
    const drained = (async () => {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 600,
            WaitTimeSeconds: 1,
          }),
        );
        ledger.checkReceived(Messages);
        for (const message of Messages) remaining.add(message.Body!);
        if (Messages.length > 0) continue;
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
        );
        if (
          Attributes.ApproximateNumberOfMessages === '0' &&
          Attributes.ApproximateNumberOfMessagesDelayed === '0' &&
          Number(Attributes.ApproximateNumberOfMessagesNotVisible) === remaining.size
        ) {
          return;
        }
      }
    })();
    await within(drained, 20_000, 'the queue did not drain');
    const lostSends = [...ledger.sent].filter(
      (body) => !remaining.has(body) && !ledger.deleteAttempted.has(body),
    );
    expect(lostSends.slice(0, 10), `${lostSends.length} acknowledged sends lost`).toEqual([]);

    const keys = new Set<string>();
    let start: Record<string, { S: string }> | undefined;
    do {
      const page = await dynamodb.send(
        new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) keys.add(item.pk!.S!);
      start = page.LastEvaluatedKey as typeof start;
    } while (start);
    const lostPuts = [...ledger.put].filter((key) => !keys.has(key) && !ledger.itemDeleteAttempted.has(key));
    const resurrected = [...ledger.itemDeleted].filter((key) => keys.has(key));
    expect(lostPuts.slice(0, 10), `${lostPuts.length} acknowledged puts lost`).toEqual([]);
    expect(resurrected.slice(0, 10), `${resurrected.length} acknowledged item deletes undone`).toEqual([]);
  } finally {
    sqs.destroy();
    dynamodb.destroy();
  }
}
