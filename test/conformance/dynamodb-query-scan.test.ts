/**
 * DynamoDB conformance: Query (table, GSI, LSI), Scan (filters, paging, segments), BatchWriteItem
 * and BatchGetItem.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let table: string;
const USERS = ['alice', 'bob', 'carol'];

beforeAll(async () => {
  table = await createTable(cloud, 'orders', {
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      {
        name: 'byStatus',
        partitionKey: { name: 'status', type: 'S' },
        sortKey: { name: 'total', type: 'N' },
        projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    localIndexes: [
      { name: 'byTotal', partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'total', type: 'N' } },
    ],
  });
  // 3 users x 10 orders; orders 0-3 are OPEN (in the sparse GSI), the rest have no status.
  const requests = USERS.flatMap((user) =>
    Array.from({ length: 10 }, (_, i) => ({
      PutRequest: {
        Item: {
          pk: { S: `user#${user}` },
          sk: { S: `order#${String(i).padStart(2, '0')}` },
          total: { N: String(10 * i + USERS.indexOf(user)) },
          ...(i < 4 ? { status: { S: 'OPEN' } } : {}),
        },
      },
    })),
  );
  for (let i = 0; i < requests.length; i += 25) {
    const result = await cloud.clients.dynamodb.send(
      new BatchWriteItemCommand({ RequestItems: { [table]: requests.slice(i, i + 25) } }),
    );
    expect(result.UnprocessedItems ?? {}).toEqual({});
  }
});

afterAll(() => deleteTable(cloud, table));

async function queryAll(input: Omit<QueryCommandInput, 'TableName'>) {
  const items: Record<string, unknown>[] = [];
  let pages = 0;
  let start: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await cloud.clients.dynamodb.send(
      new QueryCommand({ TableName: table, ...input, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
    pages++;
  } while (start);
  return { items, pages };
}

async function scanAll(input: Omit<ScanCommandInput, 'TableName'> = {}) {
  const items: Record<string, { S?: string; N?: string }>[] = [];
  let start: ScanCommandInput['ExclusiveStartKey'];
  do {
    const page = await cloud.clients.dynamodb.send(
      new ScanCommand({ TableName: table, ...input, ExclusiveStartKey: start }),
    );
    items.push(...((page.Items ?? []) as typeof items));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

describe('Query', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
  it('returns one partition in sort-key order, narrowed by begins_with or BETWEEN', async () => {
    const all = await queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'user#bob' } },
    });
    expect(all.items.map((item) => (item.sk as { S: string }).S)).toEqual(
      Array.from({ length: 10 }, (_, i) => `order#${String(i).padStart(2, '0')}`),
    );
    const between = await queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': { S: 'user#bob' },
        ':from': { S: 'order#03' },
        ':to': { S: 'order#05' },
      },
    });
    expect(between.items).toHaveLength(3);
    const prefix = await queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: 'user#bob' }, ':prefix': { S: 'order#0' } },
    });
    expect(prefix.items).toHaveLength(10);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
  it('pages with Limit and LastEvaluatedKey, backwards with ScanIndexForward false', async () => {
    const paged = await queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'user#carol' } },
      ScanIndexForward: false,
      Limit: 3,
    });
    expect(paged.pages).toBeGreaterThanOrEqual(4);
    expect(paged.items.map((item) => (item.sk as { S: string }).S)).toEqual(
      Array.from({ length: 10 }, (_, i) => `order#${String(9 - i).padStart(2, '0')}`),
    );
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html
  it('queries a sparse GSI: only items with the index key, projected to the keys, paged', async () => {
    const open = await queryAll({
      IndexName: 'byStatus',
      KeyConditionExpression: '#s = :open AND #t >= :min',
      ExpressionAttributeNames: { '#s': 'status', '#t': 'total' },
      ExpressionAttributeValues: { ':open': { S: 'OPEN' }, ':min': { N: '10' } },
      Limit: 4,
    });
    // Orders 1-3 of each user have totals 10..32: 9 items, in total order.
    const totals = open.items.map((item) => Number((item.total as { N: string }).N));
    expect(totals).toEqual([10, 11, 12, 20, 21, 22, 30, 31, 32]);
    expect(Object.keys(open.items[0]!).sort()).toEqual(['pk', 'sk', 'status', 'total']);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes
  it('keeps a GSI in step with updates: an item moves with its index key and leaves when it loses it', async () => {
    const openCount = async (status: string) => {
      const result = await cloud.clients.dynamodb.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'byStatus',
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: status } },
          Select: 'COUNT',
        }),
      );
      return result.Count;
    };
    // GSIs are eventually consistent on AWS: poll for the expected count. The 60 s deadline only
    // bounds a failure; the caller's assertion then shows the count reached.
    const eventually = async (status: string, expected: number) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (await openCount(status)) !== expected) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return openCount(status);
    };
    const key = { pk: { S: 'gsi-move' }, sk: { S: 'order#00' } };
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { ...key, status: { S: 'NEW' }, total: { N: '1' } } }),
    );
    expect(await eventually('NEW', 1)).toBe(1);
    await cloud.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #s = :shipped',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':shipped': { S: 'SHIPPED' } },
      }),
    );
    expect(await eventually('NEW', 0)).toBe(0);
    expect(await eventually('SHIPPED', 1)).toBe(1);
    await cloud.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'REMOVE #s',
        ExpressionAttributeNames: { '#s': 'status' },
      }),
    );
    expect(await eventually('SHIPPED', 0)).toBe(0);
    await cloud.clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LSI.html
  it('queries an LSI ordered by its sort key with a FilterExpression', async () => {
    const result = await queryAll({
      IndexName: 'byTotal',
      KeyConditionExpression: 'pk = :pk AND #t > :min',
      FilterExpression: 'attribute_not_exists(#s)',
      ExpressionAttributeNames: { '#s': 'status', '#t': 'total' },
      ExpressionAttributeValues: { ':pk': { S: 'user#alice' }, ':min': { N: '25' } },
    });
    expect(result.items.map((item) => (item.total as { N: string }).N)).toEqual([
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
    ]);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
  it('stops a page at 1 MB of data read even without a Limit', async () => {
    for (let i = 0; i < 6; i++) {
      await cloud.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'large-items' }, sk: { S: String(i) }, blob: { S: 'b'.repeat(300 * 1024) } },
        }),
      );
    }
    const result = await queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'large-items' } },
      ProjectionExpression: 'sk',
    });
    expect(result.items).toHaveLength(6);
    expect(result.pages).toBeGreaterThanOrEqual(2);
    await cloud.clients.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: Array.from({ length: 6 }, (_, i) => ({
            DeleteRequest: { Key: { pk: { S: 'large-items' }, sk: { S: String(i) } } },
          })),
        },
      }),
    );
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html#DDB-Query-request-Select
  it('Select COUNT returns Count and ScannedCount without Items', async () => {
    const result = await cloud.clients.dynamodb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#t < :t',
        ExpressionAttributeNames: { '#t': 'total' },
        ExpressionAttributeValues: { ':pk': { S: 'user#alice' }, ':t': { N: '30' } },
        Select: 'COUNT',
      }),
    );
    expect(result.Items).toBeUndefined();
    expect(result.Count).toBe(3);
    expect(result.ScannedCount).toBe(10);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
  it('rejects a key condition without the partition key', async () => {
    await expect(
      cloud.clients.dynamodb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'sk = :sk',
          ExpressionAttributeValues: { ':sk': { S: 'order#01' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('Scan', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.Pagination
  it('pages through every item exactly once', async () => {
    const items = await scanAll({ Limit: 7 });
    expect(items).toHaveLength(30);
    expect(new Set(items.map((item) => `${item.pk!.S}/${item.sk!.S}`)).size).toBe(30);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.FilterExpression
  it('applies a FilterExpression after reading (ScannedCount counts everything read)', async () => {
    const result = await cloud.clients.dynamodb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#t BETWEEN :a AND :b',
        ExpressionAttributeNames: { '#t': 'total' },
        ExpressionAttributeValues: { ':a': { N: '50' }, ':b': { N: '60' } },
      }),
    );
    expect(result.Count).toBe(4);
    expect(result.ScannedCount).toBe(30);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.ParallelScan
  it('splits the table into disjoint segments that together cover it', async () => {
    const segments = await Promise.all(
      [0, 1, 2, 3].map((segment) => scanAll({ Segment: segment, TotalSegments: 4, Limit: 5 })),
    );
    const keys = segments.flat().map((item) => `${item.pk!.S}/${item.sk!.S}`);
    expect(keys).toHaveLength(30);
    expect(new Set(keys).size).toBe(30);
  });
});

describe('batches', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
  it('BatchGetItem returns the existing items and leaves out missing keys', async () => {
    const result = await cloud.clients.dynamodb.send(
      new BatchGetItemCommand({
        RequestItems: {
          [table]: {
            Keys: [
              { pk: { S: 'user#alice' }, sk: { S: 'order#01' } },
              { pk: { S: 'user#bob' }, sk: { S: 'order#02' } },
              { pk: { S: 'user#nobody' }, sk: { S: 'order#01' } },
            ],
            ProjectionExpression: 'sk, #t',
            ExpressionAttributeNames: { '#t': 'total' },
          },
        },
      }),
    );
    const items = result.Responses?.[table] ?? [];
    expect(items.map((item) => item.total?.N).sort()).toEqual(['10', '21']);
    expect(Object.keys(items[0]!).sort()).toEqual(['sk', 'total']);
    expect(result.UnprocessedKeys ?? {}).toEqual({});
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
  it('BatchWriteItem puts and deletes in one call', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'batch' }, sk: { S: 'old' } } }),
    );
    await cloud.clients.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: [
            { DeleteRequest: { Key: { pk: { S: 'batch' }, sk: { S: 'old' } } } },
            { PutRequest: { Item: { pk: { S: 'batch' }, sk: { S: 'new' } } } },
          ],
        },
      }),
    );
    const result = await queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'batch' } },
    });
    expect(result.items).toEqual([{ pk: { S: 'batch' }, sk: { S: 'new' } }]);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
  it('BatchWriteItem rejects more than 25 requests and BatchGetItem more than 100 keys', async () => {
    const puts = Array.from({ length: 26 }, (_, i) => ({
      PutRequest: { Item: { pk: { S: 'too-many' }, sk: { S: String(i) } } },
    }));
    await expect(
      cloud.clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: puts } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const keys = Array.from({ length: 101 }, (_, i) => ({ pk: { S: 'too-many' }, sk: { S: String(i) } }));
    await expect(
      cloud.clients.dynamodb.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys } } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
