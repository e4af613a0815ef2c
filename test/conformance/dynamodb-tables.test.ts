/**
 * DynamoDB conformance: table management (Create/Describe/List/Update/Delete), TTL, and the local
 * cloud's persistence of DynamoDB state across a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { DynamoDbLocalService } from '../../packages/local-cloud/src/dynamodb/service.js';
import { startLocalCloud } from '../../packages/local-cloud/src/server.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { externalEndpoint } from '../support/local-cloud.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const cloud = useTestCloud({ clock });
const created: string[] = [];

afterAll(async () => {
  for (const name of created) await deleteTable(cloud, name);
});

async function createSimpleTable(suffix: string): Promise<string> {
  const name = await createTable(cloud, suffix);
  created.push(name);
  return name;
}

describe('table management', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html
  it('describes a created table: ARN, key schema, billing mode, item count and ACTIVE indexes', async () => {
    const name = `${cloud.prefix}-described`;
    await cloud.clients.dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byG',
            KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
            ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
          },
        ],
      }),
    );
    created.push(name);
    await waitUntilTableExists({ client: cloud.clients.dynamodb, maxWaitTime: 120 }, { TableName: name });
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, g: { N: '1' } } }),
    );
    const { Table: described } = await cloud.clients.dynamodb.send(
      new DescribeTableCommand({ TableName: name }),
    );
    expect(described?.TableStatus).toBe('ACTIVE');
    expect(described?.TableArn).toMatch(new RegExp(`^arn:aws:dynamodb:[a-z0-9-]+:\\d{12}:table/${name}$`));
    expect(described?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(described?.ProvisionedThroughput?.ReadCapacityUnits).toBe(5);
    expect(described?.GlobalSecondaryIndexes?.[0]).toMatchObject({ IndexName: 'byG', IndexStatus: 'ACTIVE' });
    if (!externalEndpoint) expect(described?.ItemCount).toBe(1); // AWS refreshes ItemCount only every ~6 hours.
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html#API_CreateTable_Errors
  it('rejects creating a table that already exists with ResourceInUseException', async () => {
    const name = await createSimpleTable('duplicate');
    await expect(
      cloud.clients.dynamodb.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceInUseException);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html
  it('rejects a key schema attribute missing from AttributeDefinitions', async () => {
    await expect(
      cloud.clients.dynamodb.send(
        new CreateTableCommand({
          TableName: `${cloud.prefix}-badschema`,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTables.html
  it('lists tables page by page with Limit and LastEvaluatedTableName', async () => {
    const names = [await createSimpleTable('list-a'), await createSimpleTable('list-b')];
    const seen: string[] = [];
    let start: string | undefined;
    do {
      const page = await cloud.clients.dynamodb.send(
        new ListTablesCommand({ Limit: 1, ...(start ? { ExclusiveStartTableName: start } : {}) }),
      );
      expect(page.TableNames?.length ?? 0).toBeLessThanOrEqual(1);
      seen.push(...(page.TableNames ?? []));
      start = page.LastEvaluatedTableName;
    } while (start);
    expect(seen).toEqual(expect.arrayContaining(names));
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
  it('adds a GSI to an existing table and backfills it', async () => {
    const name = await createSimpleTable('add-gsi');
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, email: { S: 'a@example.com' } } }),
    );
    await cloud.clients.dynamodb.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'email', AttributeType: 'S' }],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: 'byEmail',
              KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
          },
        ],
      }),
    );
    if (externalEndpoint) return; // Backfilling takes minutes on AWS; the local index is ready at once.
    const found = await cloud.clients.dynamodb.send(
      new QueryCommand({
        TableName: name,
        IndexName: 'byEmail',
        KeyConditionExpression: 'email = :e',
        ExpressionAttributeValues: { ':e': { S: 'a@example.com' } },
      }),
    );
    expect(found.Count).toBe(1);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html#DDB-UpdateTable-request-BillingMode
  it('switches a table from on-demand to provisioned capacity', async () => {
    const name = await createSimpleTable('billing');
    const updated = await cloud.clients.dynamodb.send(
      new UpdateTableCommand({
        TableName: name,
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 },
      }),
    );
    expect(updated.TableDescription?.TableName).toBe(name);
    await waitUntilTableExists({ client: cloud.clients.dynamodb, maxWaitTime: 120 }, { TableName: name });
    const { Table: described } = await cloud.clients.dynamodb.send(
      new DescribeTableCommand({ TableName: name }),
    );
    expect(described?.BillingModeSummary?.BillingMode ?? 'PROVISIONED').toBe('PROVISIONED');
    expect(described?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 3, WriteCapacityUnits: 4 });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html
  it('deletes a table; later requests on it fail with ResourceNotFoundException', async () => {
    const name = await createSimpleTable('deleted');
    await cloud.clients.dynamodb.send(new DeleteTableCommand({ TableName: name }));
    await waitUntilTableNotExists({ client: cloud.clients.dynamodb, maxWaitTime: 120 }, { TableName: name });
    await expect(
      cloud.clients.dynamodb.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'a' } } })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('time to live', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
  it('deletes an item once its TTL attribute (epoch seconds) has passed', async () => {
    const name = await createSimpleTable('ttl');
    await cloud.clients.dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
      }),
    );
    const described = await cloud.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(described.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
    if (!cloud.local) {
      // AWS deletes expired items within days, so against a real endpoint only the setting is checked.
      expect(['ENABLED', 'ENABLING']).toContain(described.TimeToLiveDescription?.TimeToLiveStatus);
      return;
    }
    expect(described.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    const nowSeconds = Math.floor(clock.now() / 1000);
    await cloud.clients.dynamodb.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: 'short' }, expiresAt: { N: String(nowSeconds + 60) } },
      }),
    );
    await cloud.clients.dynamodb.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: 'long' }, expiresAt: { N: String(nowSeconds + 3600) } },
      }),
    );
    const dynamodb = cloud.local.services.dynamodb as DynamoDbLocalService;
    expect(dynamodb.sweepExpiredItems()).toBe(0);
    clock.advance(120_000);
    expect(dynamodb.sweepExpiredItems()).toBe(1);
    const short = await cloud.clients.dynamodb.send(
      new GetItemCommand({ TableName: name, Key: { pk: { S: 'short' } } }),
    );
    const long = await cloud.clients.dynamodb.send(
      new GetItemCommand({ TableName: name, Key: { pk: { S: 'long' } } }),
    );
    expect(short.Item).toBeUndefined();
    expect(long.Item).toBeDefined();
  });
});

describe('persistence of the local cloud', () => {
  // Local-cloud behaviour (no AWS page): tables, indexes, TTL settings and items survive a restart
  // with --data-dir.
  it('restores tables, GSIs, TTL settings and items after stop and start with the same data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'oncely-dynamodb-'));
    try {
      const first = await startLocalCloud({ port: 0, dataDir });
      const client = (endpoint: string) =>
        new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
      const before = client(first.endpoint);
      await before.send(
        new CreateTableCommand({
          TableName: 'persisted',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'g', AttributeType: 'S' },
          ],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byG',
              KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }),
      );
      await before.send(
        new UpdateTimeToLiveCommand({
          TableName: 'persisted',
          TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' },
        }),
      );
      await before.send(
        new PutItemCommand({
          TableName: 'persisted',
          Item: { pk: { S: 'a' }, g: { S: 'group' }, n: { N: '1.5' } },
        }),
      );
      before.destroy();
      await first.stop();

      const second = await startLocalCloud({ port: 0, dataDir });
      const after = client(second.endpoint);
      const got = await after.send(new GetItemCommand({ TableName: 'persisted', Key: { pk: { S: 'a' } } }));
      expect(got.Item).toEqual({ pk: { S: 'a' }, g: { S: 'group' }, n: { N: '1.5' } });
      const viaIndex = await after.send(
        new QueryCommand({
          TableName: 'persisted',
          IndexName: 'byG',
          KeyConditionExpression: 'g = :g',
          ExpressionAttributeValues: { ':g': { S: 'group' } },
        }),
      );
      expect(viaIndex.Count).toBe(1);
      const ttl = await after.send(new DescribeTimeToLiveCommand({ TableName: 'persisted' }));
      expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
      after.destroy();
      await second.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
