/**
 * The consumer benchmark: one workload of `points.deduct` messages with duplicates, consumed side by
 * side by Oncely's transactional mode, Oncely's claim mode and the baseline built the usual way -
 * the same module the end-to-end benchmark deploys (src/handlers/baseline-consumer.ts: Powertools
 * `processPartialResponse` with `SqsFifoPartialProcessorAsync`, `makeIdempotent` with its DynamoDB
 * persistence layer, then a separate UpdateItem on the account and PutItem on the ledger). The
 * queue is FIFO with one message group per account, as in the end-to-end pipeline, so every variant
 * gets the records it would get there. Handlers are invoked directly with SQS events built from
 * received messages, the way the Lambda event source mapping builds them; successes are deleted.
 *
 * DynamoDB requests are counted with SDK middleware on the client. Write units come from
 * ReturnConsumedCapacity (forced on every request); DynamoDB reports no capacity for failed
 * requests, so a failed conditional write is charged 1 WCU per item (DynamoDB documents that a failed
 * condition still consumes write capacity) and a cancelled transaction 2 WCU per action (an upper bound).
 *
 * @example
 * const result = await benchConsumer({ messages: 2_000, duplicateRatio: 0.1 });
 * console.log(formatConsumerBench(result));
 */
import { pathToFileURL } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '@oncely/local-cloud';
import type { SqsConsumerHandler } from '@oncely/runtime';
import { type AwsClients, createAwsClients, LOCAL_CREDENTIALS } from '@oncely/runtime/aws';
import { loadConfig } from '@oncely/runtime/lambda';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { formatTable } from 'oncely';
import { POINTS_ENVIRONMENT } from '../config.js';
import {
  createBaselineConsumer,
  IDEMPOTENCY_TABLE_VARIABLE,
  idempotencyTableInput,
} from '../handlers/baseline-consumer.js';
import { AwsRequestMeter } from './aws-request-meter.js';
import {
  type ConsumerResources,
  eventOf,
  provisionConsumerResources,
  realConsumer,
  receive,
  sendBodies,
} from './consumer-resources.js';

export type ConsumerBenchVariant = 'oncely-transactional' | 'oncely-claim' | 'powertools-baseline';

export interface ConsumerBenchOptions {
  /** Messages delivered in all, duplicates included. @default 2000 */
  readonly messages?: number;
  /** Share of the messages that are redeliveries of an earlier message. @default 0.1 */
  readonly duplicateRatio?: number;
  /** Accounts the deductions spread over. @default 100 */
  readonly accounts?: number;
  /** Concurrent pollers, each invoking the handler with batches of 10 (like Lambda instances). @default 4 */
  readonly pollers?: number;
  /** @default all three */
  readonly variants?: readonly ConsumerBenchVariant[];
  /**
   * Runs of each variant, alternating between variants so background load hits them alike; the
   * median run is reported (every run's throughput in `runsMessagesPerSecond`). @default 1
   */
  readonly repeats?: number;
  /**
   * Extra delay added to every DynamoDB request, to model the network round trip the in-process
   * cloud does not have (in-region DynamoDB answers in single-digit milliseconds). Without it the
   * run is CPU-bound: the SDK and the emulator share one process, so a request costs CPU time
   * rather than waiting time. @default 0
   */
  readonly dynamodbLatencyMs?: number;
  /** An external endpoint instead of an in-process local cloud. */
  readonly endpoint?: string;
  /** Progress lines. @default silent */
  readonly log?: (line: string) => void;
}

export interface ConsumerBenchFigures {
  readonly variant: ConsumerBenchVariant;
  readonly newMessages: number;
  readonly duplicates: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
  /**
   * CPU time of the whole process (consumer, SDK and the in-process cloud) per message while the
   * handlers ran. Other processes on the machine hardly change it, unlike `messagesPerSecond`.
   */
  readonly cpuMsPerMessage: number;
  /**
   * DynamoDB requests on the message path (the degradation level's reads, one per instance every
   * few seconds, are counted apart in `degradationReads`).
   */
  readonly dynamodbRequestsPerNewMessage: number;
  readonly dynamodbRequestsPerDuplicate: number;
  readonly writeUnitsPerNewMessage: number;
  readonly writeUnitsPerDuplicate: number;
  readonly writeUnitsPerMessage: number;
  /** DynamoDB requests by operation over the whole run. */
  readonly requestsByOperation: Readonly<Record<string, number>>;
  /** GetItem calls on the control table (cached per consumer for 5 s). */
  readonly degradationReads: number;
  /** Throughput of every run of this variant. */
  readonly runsMessagesPerSecond?: readonly number[];
  /** Every account lost exactly the sum of its distinct deductions. */
  readonly effectsExactlyOnce: boolean;
}

export interface ConsumerBenchResult {
  readonly figures: readonly ConsumerBenchFigures[];
  /** Checks of the goals, when the variants they compare were run. */
  /** The simulated DynamoDB round trip of the run, in ms. */
  readonly dynamodbLatencyMs: number;
  readonly goals: {
    readonly transactionalAtMostOneRequestPerNewMessage?: boolean;
    readonly transactionalAtLeastTwiceBaselineThroughput?: boolean;
    /** The same comparison in CPU time per message, which the machine's other load hardly moves. */
    readonly transactionalAtMostHalfBaselineCpuPerMessage?: boolean;
  };
}

const START_BALANCE = 1_000_000_000;

export async function benchConsumer(options: ConsumerBenchOptions = {}): Promise<ConsumerBenchResult> {
  const total = options.messages ?? 2_000;
  const duplicates = Math.round(total * (options.duplicateRatio ?? 0.1));
  const fresh = total - duplicates;
  const accounts = options.accounts ?? 100;
  const pollers = options.pollers ?? 4;
  const variants = options.variants ?? ['oncely-transactional', 'oncely-claim', 'powertools-baseline'];
  const log = options.log ?? (() => {});

  const local = options.endpoint ? undefined : await startLocalCloud({ port: 0 });
  const endpoint = options.endpoint ?? local!.endpoint;
  const workload = buildWorkload(fresh, duplicates, accounts);
  const runs: ConsumerBenchFigures[] = [];
  try {
    for (let repeat = 0; repeat < (options.repeats ?? 1); repeat += 1)
      for (const variant of variants) {
        // Fresh clients per variant, so one variant's meter and connections do not leak into the next.
        const clients = createAwsClients({
          region: 'us-east-1',
          endpoint,
          ...(options.endpoint ? {} : { credentials: LOCAL_CREDENTIALS }),
        });
        try {
          log(`consumer bench: ${variant} (run ${repeat + 1}) ...`);
          if (options.dynamodbLatencyMs) addLatency(clients.dynamodb, options.dynamodbLatencyMs);
          runs.push(await runVariant(variant, clients, workload, accounts, pollers));
        } finally {
          clients.destroy();
        }
      }
  } finally {
    await local?.stop();
  }
  const figures = variants.map((variant) => {
    const mine = runs.filter((run) => run.variant === variant);
    // The median run: robust against a run that shared the machine with a burst of other work.
    const median = [...mine].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond)[
      Math.floor((mine.length - 1) / 2)
    ]!;
    return {
      ...median,
      runsMessagesPerSecond: mine.map((run) => run.messagesPerSecond),
      effectsExactlyOnce: mine.every((run) => run.effectsExactlyOnce),
    };
  });
  const transactional = figures.find((figure) => figure.variant === 'oncely-transactional');
  const baseline = figures.find((figure) => figure.variant === 'powertools-baseline');
  return {
    figures,
    dynamodbLatencyMs: options.dynamodbLatencyMs ?? 0,
    goals: {
      ...(transactional
        ? { transactionalAtMostOneRequestPerNewMessage: transactional.dynamodbRequestsPerNewMessage <= 1 }
        : {}),
      ...(transactional && baseline
        ? {
            transactionalAtLeastTwiceBaselineThroughput:
              transactional.messagesPerSecond >= 2 * baseline.messagesPerSecond,
            transactionalAtMostHalfBaselineCpuPerMessage:
              transactional.cpuMsPerMessage <= baseline.cpuMsPerMessage / 2,
          }
        : {}),
    },
  };
}

interface Workload {
  readonly fresh: Record<string, unknown>[];
  readonly duplicates: Record<string, unknown>[];
}

function buildWorkload(fresh: number, duplicates: number, accounts: number): Workload {
  const envelopes = Array.from({ length: fresh }, (_, index) => ({
    id: String(7_000_000_000_000_000 + index),
    type: 'points.deduct',
    producer: 'bench-1',
    seq: index + 1,
    key: `account-${index % accounts}`,
    occurredAt: '2026-11-25T10:00:00.000Z',
    payload: { accountId: `account-${index % accounts}`, amount: 1 + (index % 7), orderId: `order-${index}` },
  }));
  // Spread the duplicates evenly over the originals (deterministic, so every run is the same).
  const copies = Array.from(
    { length: duplicates },
    (_, index) => envelopes[Math.floor((index * fresh) / duplicates)]!,
  );
  return { fresh: envelopes, duplicates: copies };
}

async function runVariant(
  variant: ConsumerBenchVariant,
  clients: AwsClients,
  workload: Workload,
  accounts: number,
  pollers: number,
): Promise<ConsumerBenchFigures> {
  const prefix = `bench-${variant}-${Date.now().toString(36)}`;
  const resources = await provisionConsumerResources(clients, {
    prefix,
    visibilityTimeoutSeconds: 60,
    fifo: true,
  });
  for (let index = 0; index < accounts; index += 1)
    await clients.documents.send(
      new PutCommand({
        TableName: resources.accountsTable,
        Item: { pk: `account-${index}`, balance: START_BALANCE },
      }),
    );
  const handler =
    variant === 'powertools-baseline'
      ? await baselineHandler(clients, resources, prefix)
      : realConsumer(clients, resources, { mode: variant === 'oncely-claim' ? 'claim' : 'transactional' })
          .handler;

  const meter = new AwsRequestMeter();
  meter.attach(clients.dynamodb, 'dynamodb');
  const controlReads = { count: 0 };
  attachCapacityReporting(clients.dynamodb, meter, resources.controlTable, controlReads);

  await sendBodies(clients.sqs, resources, workload.fresh);
  const freshRun = await drain(
    handler,
    clients,
    resources,
    workload.fresh.length,
    pollers,
    meter,
    controlReads,
  );
  await sendBodies(clients.sqs, resources, workload.duplicates);
  const duplicateRun = await drain(
    handler,
    clients,
    resources,
    workload.duplicates.length,
    pollers,
    meter,
    controlReads,
  );

  const seconds = freshRun.seconds + duplicateRun.seconds;
  const messages = workload.fresh.length + workload.duplicates.length;
  return {
    variant,
    newMessages: workload.fresh.length,
    duplicates: workload.duplicates.length,
    seconds: round(seconds),
    messagesPerSecond: round(messages / seconds),
    cpuMsPerMessage: round((freshRun.cpuMs + duplicateRun.cpuMs) / messages),
    dynamodbRequestsPerNewMessage: round(freshRun.requests / workload.fresh.length),
    dynamodbRequestsPerDuplicate: round(duplicateRun.requests / Math.max(1, workload.duplicates.length)),
    writeUnitsPerNewMessage: round(freshRun.writeUnits / workload.fresh.length),
    writeUnitsPerDuplicate: round(duplicateRun.writeUnits / Math.max(1, workload.duplicates.length)),
    writeUnitsPerMessage: round((freshRun.writeUnits + duplicateRun.writeUnits) / messages),
    requestsByOperation: meter.byOperation(),
    degradationReads: controlReads.count,
    effectsExactlyOnce: await effectsExactlyOnce(clients, resources, workload),
  };
}

/**
 * Receives the phase's messages, then invokes the handler with batches of 10 from `pollers`
 * concurrent "instances", timing only the invocations: on Lambda the event source mapping receives
 * and deletes outside the function, so SQS calls are not the consumer's throughput. Acknowledged
 * messages are deleted afterwards; failures (e.g. claim conflicts) come back and go round again.
 */
async function drain(
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  clients: AwsClients,
  resources: ConsumerResources,
  expected: number,
  pollers: number,
  meter: AwsRequestMeter,
  controlReads: { count: number },
): Promise<{ seconds: number; cpuMs: number; requests: number; writeUnits: number }> {
  let seconds = 0;
  let cpuMs = 0;
  let requests = 0;
  let writeUnits = 0;
  let acknowledged = 0;
  for (let round = 0; acknowledged < expected; round += 1) {
    if (round > 50) throw new Error(`consumer bench stalled at ${acknowledged}/${expected}`);
    const messages: Message[] = [];
    for (let empty = 0; messages.length < expected - acknowledged && empty < 20; ) {
      const received = await receive(clients.sqs, resources.queueUrl, 10);
      messages.push(...received);
      empty = received.length === 0 ? empty + 1 : 0;
    }
    const batches: Message[][] = [];
    for (let start = 0; start < messages.length; start += 10) batches.push(messages.slice(start, start + 10));
    const done: Message[] = [];
    const requestsBefore = meter.total('dynamodb') - controlReads.count;
    const unitsBefore = meter.dynamodbWriteUnits;
    const startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: pollers }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const result = await handler(eventOf(batch, resources));
          const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
          done.push(...batch.filter((message) => !failed.has(message.MessageId!)));
        }
      }),
    );
    seconds += (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    cpuMs += (cpu.user + cpu.system) / 1000;
    requests += meter.total('dynamodb') - controlReads.count - requestsBefore;
    writeUnits += meter.dynamodbWriteUnits - unitsBefore;
    for (let start = 0; start < done.length; start += 10)
      await clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: resources.queueUrl,
          Entries: done.slice(start, start + 10).map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle!,
          })),
        }),
      );
    acknowledged += done.length;
  }
  return { seconds, cpuMs, requests, writeUnits };
}

/**
 * The baseline: the end-to-end benchmark's handler module, wired to this run's tables through the
 * same environment variables the deployed function reads, and invoked with a Lambda-like context.
 */
async function baselineHandler(
  clients: AwsClients,
  resources: ConsumerResources,
  prefix: string,
): Promise<SqsConsumerHandler> {
  const tableName = `${prefix}-idempotency`;
  await clients.dynamodb.send(new CreateTableCommand(idempotencyTableInput(tableName)));
  const handler = createBaselineConsumer(
    loadConfig({
      [POINTS_ENVIRONMENT.accountsTable]: resources.accountsTable,
      [POINTS_ENVIRONMENT.ledgerTable]: resources.ledgerTable,
      [IDEMPOTENCY_TABLE_VARIABLE]: tableName,
    }),
    clients,
  );
  return (event) => handler(event, lambdaContext(`${prefix}-baseline`));
}

/** What a Lambda invocation's context offers the Powertools utilities (name, deadline). */
function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function addLatency(client: DynamoDBClient, milliseconds: number): void {
  type Next = (args: unknown) => Promise<unknown>;
  (
    client.middlewareStack as unknown as {
      add(middleware: (next: Next) => Next, options: { step: 'finalizeRequest'; name: string }): void;
    }
  ).add(
    (next) => async (args) => {
      await new Promise((resolve) => setTimeout(resolve, milliseconds));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'oncelyBenchLatency' },
  );
}

/** Asks for consumed capacity on every request, and estimates it for failed ones (see the file's TSDoc). */
function attachCapacityReporting(
  client: DynamoDBClient,
  meter: AwsRequestMeter,
  controlTable: string,
  controlReads: { count: number },
): void {
  type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;
  (
    client.middlewareStack as unknown as {
      add(
        middleware: (next: Next, context: { commandName?: string }) => Next,
        options: { step: 'initialize'; name: string },
      ): void;
    }
  ).add(
    (next, context) => async (args) => {
      args.input.ReturnConsumedCapacity ??= 'TOTAL';
      if (args.input.TableName === controlTable) controlReads.count += 1;
      try {
        return await next(args);
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'ConditionalCheckFailedException') meter.recordCapacity({ WriteCapacityUnits: 1 });
        if (name === 'TransactionCanceledException' && context.commandName === 'TransactWriteItemsCommand') {
          const actions = (args.input.TransactItems as unknown[] | undefined)?.length ?? 1;
          meter.recordCapacity({ WriteCapacityUnits: 2 * actions });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'oncelyBenchCapacity' },
  );
}

async function effectsExactlyOnce(clients: AwsClients, resources: ConsumerResources, workload: Workload) {
  const expected = new Map<string, number>();
  for (const envelope of workload.fresh) {
    const { accountId, amount } = envelope.payload as { accountId: string; amount: number };
    expected.set(accountId, (expected.get(accountId) ?? 0) + amount);
  }
  const accounts = await clients.documents.send(
    new ScanCommand({ TableName: resources.accountsTable, ConsistentRead: true }),
  );
  return (accounts.Items ?? []).every(
    (item) => START_BALANCE - (item.balance as number) === (expected.get(item.pk as string) ?? 0),
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The figures as a fixed-width table. */
export function formatConsumerBench(result: ConsumerBenchResult): string {
  const rows = result.figures.map((figure) => ({
    variant: figure.variant,
    'msg/s': figure.messagesPerSecond,
    'CPU ms/msg': figure.cpuMsPerMessage,
    'ddb req/new': figure.dynamodbRequestsPerNewMessage,
    'ddb req/dup': figure.dynamodbRequestsPerDuplicate,
    'WCU/new': figure.writeUnitsPerNewMessage,
    'WCU/dup': figure.writeUnitsPerDuplicate,
    'WCU/msg': figure.writeUnitsPerMessage,
    'exactly once': figure.effectsExactlyOnce ? 'yes' : 'NO',
  }));
  const columns = Object.keys(rows[0] ?? {});
  const goals = Object.entries(result.goals).map(([goal, met]) => `${met ? 'met' : 'NOT met'}: ${goal}`);
  const setting = `simulated DynamoDB round trip: ${result.dynamodbLatencyMs} ms`;
  return [formatTable(rows, columns), '', setting, ...goals].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const messages = Number(process.argv[2] ?? 2_000);
  const repeats = Number(process.argv[3] ?? 1);
  const dynamodbLatencyMs = Number(process.argv[4] ?? 0);
  const result = await benchConsumer({
    messages,
    repeats,
    dynamodbLatencyMs,
    log: (line) => console.error(line),
  });
  console.log(formatConsumerBench(result));
  console.log(JSON.stringify(result, null, 2));
}
