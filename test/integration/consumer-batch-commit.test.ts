/**
 * Batch commits with claims on business items (EventHandler.claimOn, counterWrite), through the
 * real SDK against the local cloud's DynamoDB and SQS: one transaction per FIFO group run, the
 * balance written once per run, rejections decided in order, the consumption log for the auditor.
 */
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  deliver,
  eventOf,
  realConsumer,
  receive,
  sendBodies,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import type { RequestInterceptor } from '../../packages/local-cloud/src/server.js';
import { DynamoDbAuditStore } from '../../packages/runtime/src/adapters/dynamodb-audit-store.js';
import type { SqsConsumerHandler } from '../../packages/runtime/src/core/consumer/index.js';
import { CLAIM_ATTRIBUTE, CLAIMS } from '../../packages/runtime/src/core/tables.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { useConsumerResources } from '../support/consumer-hooks.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const transactions: Array<{ actions: number }> = [];
/** Answers the next TransactWriteItems with these cancellation codes (one per action), once. */
let cancelNext: ((actions: number) => string[]) | undefined;
/** Fails the next consumption-log writes (UpdateItem of a `log#` key) with a ValidationException. */
let failLogWrites = 0;

const interceptor: RequestInterceptor = {
  before(request, service) {
    if (service !== 'dynamodb') return undefined;
    const input = request.input as { TransactItems?: unknown[]; Key?: { pk?: { S?: string } } };
    if (request.operation === 'TransactWriteItems') {
      const actions = input.TransactItems?.length ?? 0;
      transactions.push({ actions });
      const codes = cancelNext?.(actions);
      cancelNext = undefined;
      if (codes)
        return dynamoError(
          'TransactionCanceledException',
          `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
          { CancellationReasons: codes.map((code) => ({ Code: code })) },
        );
    }
    if (request.operation === 'UpdateItem' && input.Key?.pk?.S?.startsWith('log#') && failLogWrites > 0) {
      failLogWrites -= 1;
      return dynamoError('ValidationException', 'injected: consumption log unavailable');
    }
    return undefined;
  },
};

function dynamoError(type: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra }),
  };
}

const cloud = useTestCloud({ interceptor });
const resources = useConsumerResources(cloud, { fifo: true });

let nextSeq = 1;
const order = (accountId: string, amount: number, producer = 'batch-1') =>
  testEnvelope({
    key: accountId,
    producer,
    seq: nextSeq++,
    payload: { accountId, amount, orderId: `${accountId}-${nextSeq}` },
  });

/** Receives what is visible (up to one batch) and delivers it as the event source mapping would. */
async function deliverNext(handler: SqsConsumerHandler) {
  const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
  return { messages, ...(await deliver(handler, cloud.clients.sqs, resources, messages)) };
}

async function ledgerItem(envelope: Record<string, unknown>) {
  const orderId = (envelope.payload as { orderId: string }).orderId;
  const result = await cloud.clients.documents.send(
    new GetCommand({ TableName: resources.ledgerTable, Key: { pk: orderId }, ConsistentRead: true }),
  );
  return result.Item;
}

async function loggedSeqs(producer: string): Promise<number[]> {
  const result = await cloud.clients.documents.send(
    new QueryCommand({
      TableName: resources.claimsTable,
      IndexName: CLAIMS.byProducerIndex,
      KeyConditionExpression: 'producer = :producer',
      ExpressionAttributeValues: { ':producer': producer },
    }),
  );
  return (result.Items ?? [])
    .flatMap((item) => [...((item.seqs as Set<number>) ?? [])])
    .sort((a, b) => a - b);
}

describe('batch commits with claims on business items', () => {
  it('commits a group of ten orders in one transaction with one balance write and the rejections, decided in order', async () => {
    await setBalance(cloud.clients.documents, resources, 'run-a', 100);
    // 30 and 50 fit, 70 does not (20 left), 10 and 5 do, 100 does not, the four 1s do: the
    // in-order model.
    const amounts = [30, 50, 70, 10, 5, 100, 1, 1, 1, 1];
    const envelopes = amounts.map((amount) => order('run-a', amount, 'run-a-producer'));
    await sendBodies(cloud.clients.sqs, resources, envelopes);
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    expect(messages).toHaveLength(10);
    transactions.length = 0;
    const result = await deliver(
      realConsumer(cloud.clients, resources).handler,
      cloud.clients.sqs,
      resources,
      messages,
    );
    expect(result.batchItemFailures).toEqual([]);
    // 8 ledger entries carrying claims + 1 balance update + 2 claim-only items of the rejected
    // orders, in a single request.
    expect(transactions).toEqual([{ actions: 11 }]);
    expect(await balanceOf(cloud.clients.documents, resources, 'run-a')).toBe(1);
    const outcomes = await Promise.all(envelopes.map(ledgerItem));
    const statuses = outcomes.map(
      (item) => (item?.[CLAIM_ATTRIBUTE] as { status?: string } | undefined)?.status,
    );
    expect(statuses).toEqual([
      'COMPLETED',
      'COMPLETED',
      'REJECTED',
      'COMPLETED',
      'COMPLETED',
      'REJECTED',
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
    expect(outcomes[2]).not.toHaveProperty('amount');
    expect(outcomes[2]?.[CLAIM_ATTRIBUTE]).toMatchObject({ outcome: 'insufficient-balance' });
    expect(await loggedSeqs('run-a-producer')).toEqual(envelopes.map((envelope) => envelope.seq));
  });

  it('acknowledges redeliveries of committed and rejected orders as duplicates and changes nothing', async () => {
    await setBalance(cloud.clients.documents, resources, 'run-b', 40);
    const envelopes = [order('run-b', 30), order('run-b', 30)];
    await sendBodies(cloud.clients.sqs, resources, envelopes);
    const handler = realConsumer(cloud.clients, resources).handler;
    // The "crash": both are decided (one applied, one rejected), the invocation never returns, so
    // nothing is deleted; SQS delivers them again.
    const first = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    expect(first).toHaveLength(2);
    expect((await handler(eventOf(first, resources))).batchItemFailures).toEqual([]);
    for (const message of first)
      await cloud.clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: resources.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    const redelivered = await deliverNext(handler);
    expect(redelivered.messages.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual([
      '2',
      '2',
    ]);
    expect(redelivered.batchItemFailures).toEqual([]);
    // The producer sends both again (fresh deduplication ids, same envelopes).
    await sendBodies(
      cloud.clients.sqs,
      resources,
      envelopes.map((envelope) => ({ ...envelope })),
    );
    const resent = await deliverNext(handler);
    expect(resent.messages).toHaveLength(2);
    expect(resent.batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'run-b')).toBe(10);
    expect((await ledgerItem(envelopes[0]!))?.amount).toBe(30);
    expect((await ledgerItem(envelopes[1]!))?.[CLAIM_ATTRIBUTE]).toMatchObject({ status: 'REJECTED' });
    expect(await receive(cloud.clients.sqs, resources.queueUrl, 10)).toEqual([]);
  });

  it('reads the counter again when it changed between the read and the commit', async () => {
    await setBalance(cloud.clients.documents, resources, 'run-c', 100);
    const envelopes = [order('run-c', 20), order('run-c', 20)];
    await sendBodies(cloud.clients.sqs, resources, envelopes);
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    transactions.length = 0;
    // The balance guard (the last action) fails once, as if another writer had changed it.
    cancelNext = (actions) => [
      ...Array.from({ length: actions - 1 }, () => 'None'),
      'ConditionalCheckFailed',
    ];
    const result = await deliver(
      realConsumer(cloud.clients, resources).handler,
      cloud.clients.sqs,
      resources,
      messages,
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(transactions).toEqual([{ actions: 3 }, { actions: 3 }]);
    expect(await balanceOf(cloud.clients.documents, resources, 'run-c')).toBe(60);
  });

  it('retries every message of the run, writing nothing, when the transaction is throttled', async () => {
    await setBalance(cloud.clients.documents, resources, 'run-d', 100);
    await sendBodies(cloud.clients.sqs, resources, [order('run-d', 10), order('run-d', 10)]);
    const handler = realConsumer(cloud.clients, resources).handler;
    cancelNext = (actions) => ['ThrottlingError', ...Array.from({ length: actions - 1 }, () => 'None')];
    const first = await deliverNext(handler);
    expect(first.batchItemFailures).toHaveLength(2);
    expect(await balanceOf(cloud.clients.documents, resources, 'run-d')).toBe(100);
    expect((await deliverNext(handler)).batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'run-d')).toBe(80);
  });

  it('fails the messages whose consumption could not be logged, and logs them as duplicates on their return', async () => {
    await setBalance(cloud.clients.documents, resources, 'run-e', 100);
    const envelopes = [order('run-e', 10, 'log-producer'), order('run-e', 10, 'log-producer')];
    await sendBodies(cloud.clients.sqs, resources, envelopes);
    const handler = realConsumer(cloud.clients, resources).handler;
    failLogWrites = 1;
    const first = await deliverNext(handler);
    expect(first.batchItemFailures).toHaveLength(2);
    expect(await balanceOf(cloud.clients.documents, resources, 'run-e')).toBe(80);
    expect(await loggedSeqs('log-producer')).toEqual([]);
    expect((await deliverNext(handler)).batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'run-e')).toBe(80);
    expect(await loggedSeqs('log-producer')).toEqual(envelopes.map((envelope) => envelope.seq));
  });

  it('gives the auditor every logged seq, across log items and within the log span', async () => {
    const store = new DynamoDbAuditStore(cloud.clients.documents, {
      claims: resources.claimsTable,
      leases: 'unused',
      control: resources.controlTable,
    });
    const envelopes = [order('run-f', 1, 'audit-producer'), order('run-f', 1, 'audit-producer')];
    await setBalance(cloud.clients.documents, resources, 'run-f', 10);
    await sendBodies(cloud.clients.sqs, resources, envelopes);
    await deliverNext(realConsumer(cloud.clients, resources).handler);
    const seqs = envelopes.map((envelope) => envelope.seq as number);
    const after = await store.claimsAfter('audit-producer', (seqs[0] as number) - 1, 10);
    expect(after.map((claim) => claim.seq)).toEqual(seqs);
    expect(after.every((claim) => claim.status === 'COMPLETED')).toBe(true);
    const between = await store.claimsBetween('audit-producer', seqs[1] as number, seqs[1] as number);
    expect(between.map((claim) => claim.seq)).toEqual([seqs[1]]);
    expect(await store.claimsAfter('audit-producer', seqs[1] as number, 10)).toEqual([]);
  });
});
