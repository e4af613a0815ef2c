/**
 * DynamoDB conformance: TransactWriteItems (all-or-nothing, cancellation reasons, idempotency,
 * limits) and TransactGetItems.
 */
import {
  GetItemCommand,
  IdempotentParameterMismatchException,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let table: string;

beforeAll(async () => {
  table = await createTable(cloud, 'tx');
});

afterAll(() => deleteTable(cloud, table));

async function get(pk: string) {
  const result = await cloud.clients.dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return result.Item;
}

function transact(items: TransactWriteItemsCommandInput['TransactItems'], token?: string) {
  return cloud.clients.dynamodb.send(
    new TransactWriteItemsCommand({ TransactItems: items, ...(token ? { ClientRequestToken: token } : {}) }),
  );
}

describe('TransactWriteItems', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
  it('applies Put, Update, Delete and ConditionCheck together when every condition holds', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'acct-a' }, balance: { N: '100' } } }),
    );
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'stale' }, v: { N: '1' } } }),
    );
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'guard' }, open: { BOOL: true } } }),
    );
    await transact([
      {
        Update: {
          TableName: table,
          Key: { pk: { S: 'acct-a' } },
          UpdateExpression: 'SET balance = balance - :amount',
          ConditionExpression: 'balance >= :amount',
          ExpressionAttributeValues: { ':amount': { N: '30' } },
        },
      },
      { Put: { TableName: table, Item: { pk: { S: 'outbox-1' }, amount: { N: '30' } } } },
      { Delete: { TableName: table, Key: { pk: { S: 'stale' } } } },
      {
        ConditionCheck: {
          TableName: table,
          Key: { pk: { S: 'guard' } },
          ConditionExpression: '#open = :yes',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':yes': { BOOL: true } },
        },
      },
    ]);
    expect((await get('acct-a'))?.balance).toEqual({ N: '70' });
    expect(await get('outbox-1')).toBeDefined();
    expect(await get('stale')).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html#API_TransactWriteItems_Errors
  it('applies nothing when one condition fails, with one cancellation reason per action in order', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'acct-b' }, balance: { N: '10' } } }),
    );
    const error = await transact([
      { Put: { TableName: table, Item: { pk: { S: 'outbox-2' } } } },
      {
        Update: {
          TableName: table,
          Key: { pk: { S: 'acct-b' } },
          UpdateExpression: 'SET balance = balance - :amount',
          ConditionExpression: 'balance >= :amount',
          ExpressionAttributeValues: { ':amount': { N: '30' } },
        },
      },
    ]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const cancelled = error as TransactionCanceledException;
    expect(cancelled.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]',
    );
    expect(cancelled.CancellationReasons?.map((reason) => reason.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(cancelled.CancellationReasons?.[1]?.Item).toBeUndefined();
    expect(await get('outbox-2')).toBeUndefined();
    expect((await get('acct-b'))?.balance).toEqual({ N: '10' });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CancellationReason.html
  it('puts the current item into the cancellation reason of an action asking for ALL_OLD', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'claim-x' }, status: { S: 'COMPLETED' } } }),
    );
    const error = await transact([
      {
        Put: {
          TableName: table,
          Item: { pk: { S: 'claim-x' }, status: { S: 'COMPLETED' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      { Put: { TableName: table, Item: { pk: { S: 'business-x' } } } },
    ]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const [first, second] = (error as TransactionCanceledException).CancellationReasons ?? [];
    expect(first).toMatchObject({
      Code: 'ConditionalCheckFailed',
      Message: 'The conditional request failed',
      Item: { pk: { S: 'claim-x' }, status: { S: 'COMPLETED' } },
    });
    expect(second?.Code).toBe('None');
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html#DDB-TransactWriteItems-request-ClientRequestToken
  it('treats a repeated ClientRequestToken as the same request and rejects it with other parameters', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'counter' }, n: { N: '0' } } }),
    );
    const increment = (by: string) => [
      {
        Update: {
          TableName: table,
          Key: { pk: { S: 'counter' } },
          UpdateExpression: 'ADD n :by',
          ExpressionAttributeValues: { ':by': { N: by } },
        },
      },
    ];
    const token = `${cloud.prefix}-token-1`;
    await transact(increment('1'), token);
    await transact(increment('1'), token);
    expect((await get('counter'))?.n).toEqual({ N: '1' });
    await expect(transact(increment('5'), token)).rejects.toBeInstanceOf(
      IdempotentParameterMismatchException,
    );
    expect((await get('counter'))?.n).toEqual({ N: '1' });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
  it('rejects two actions on the same item with a ValidationException', async () => {
    await expect(
      transact([
        { Put: { TableName: table, Item: { pk: { S: 'twice' } } } },
        { Delete: { TableName: table, Key: { pk: { S: 'twice' } } } },
      ]),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Transaction request cannot include multiple operations on one item',
    });
    expect(await get('twice')).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-dynamodb-transactions
  it('accepts 100 actions and rejects 101', async () => {
    const puts = (count: number, tag: string) =>
      Array.from({ length: count }, (_, i) => ({
        Put: { TableName: table, Item: { pk: { S: `${tag}-${i}` } } },
      }));
    await transact(puts(100, 'hundred'));
    expect(await get('hundred-99')).toBeDefined();
    await expect(transact(puts(101, 'too-many'))).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await get('too-many-0')).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation
  it('serialises concurrent transactions: transfers never overdraw the source account', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'source' }, balance: { N: '50' } } }),
    );
    const transfer = (i: number) =>
      transact([
        {
          Update: {
            TableName: table,
            Key: { pk: { S: 'source' } },
            UpdateExpression: 'SET balance = balance - :ten',
            ConditionExpression: 'balance >= :ten',
            ExpressionAttributeValues: { ':ten': { N: '10' } },
          },
        },
        { Put: { TableName: table, Item: { pk: { S: `transfer-${i}` } } } },
      ]);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => transfer(i)));
    // On AWS a concurrent loser may also see TransactionConflict; either way at most 5 succeed.
    expect(results.filter((result) => result.status === 'fulfilled').length).toBeLessThanOrEqual(5);
    const balance = Number((await get('source'))?.balance?.N);
    const done = results.filter((result) => result.status === 'fulfilled').length;
    expect(balance).toBe(50 - 10 * done);
  });
});

describe('TransactGetItems', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html
  it('returns one response per Get in order, empty for a missing item', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'read-1' }, a: { S: 'x' }, b: { S: 'y' } } }),
    );
    const result = await cloud.clients.dynamodb.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: table, Key: { pk: { S: 'read-1' } }, ProjectionExpression: 'a' } },
          { Get: { TableName: table, Key: { pk: { S: 'read-missing' } } } },
        ],
      }),
    );
    expect(result.Responses).toHaveLength(2);
    expect(result.Responses?.[0]?.Item).toEqual({ a: { S: 'x' } });
    expect(result.Responses?.[1]?.Item).toBeUndefined();
  });
});
