/**
 * DynamoDB conformance: what ReturnConsumedCapacity reports for transactional writes beyond the
 * doubling dynamodb-capacity.test.ts covers: a global secondary index written because of a
 * transaction is charged at the standard rate, a TransactWriteItems replayed with its
 * ClientRequestToken reports read units, and a failed conditional write reports nothing (AWS
 * still bills it: the benchmark meter charges it, examples/points/src/bench/http-request-meter.ts).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
 */
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onDynamoDbLocal } from '../support/dynamodb-local.js';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let table: string;
/** ~1.5 KB of payload: 2 WCU to write, 4 transactionally; one 4 KB read block. */
const MEDIUM = 'x'.repeat(1500);

beforeAll(async () => {
  table = await createTable(cloud, 'txcap', {
    globalIndexes: [{ name: 'byG', partitionKey: { name: 'g', type: 'S' } }],
  });
});

afterAll(() => deleteTable(cloud, table));

function transact(
  items: TransactWriteItemsCommandInput['TransactItems'],
  extra: Partial<TransactWriteItemsCommandInput> = {},
) {
  return cloud.clients.dynamodb.send(
    new TransactWriteItemsCommand({ TransactItems: items, ReturnConsumedCapacity: 'INDEXES', ...extra }),
  );
}

// DynamoDB Local's capacity accounting is not AWS's (test/oracle/dynamodb-local-deviations.ts).
describe.skipIf(onDynamoDbLocal())('transactional write capacity', () => {
  // A transaction's changes reach global secondary indexes after it completes, so the index write
  // is an ordinary one: "Changes made with transactions are propagated to global secondary indexes
  // (GSIs) ... after the transaction completes successfully"
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-apis-txwriteitems
  // and GSI updates are billed "one WRU ... for each write up to 1KB"
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/global-tables-billing.html
  it('charges the table 2 WCU per KB and a global index 1 WCU per KB of its entry', async () => {
    const result = await transact([
      { Put: { TableName: table, Item: { pk: { S: 'gsi-1' }, g: { S: 'group' }, data: { S: MEDIUM } } } },
    ]);
    expect(result.ConsumedCapacity).toEqual([
      expect.objectContaining({
        TableName: table,
        CapacityUnits: 4 + 2,
        Table: expect.objectContaining({ CapacityUnits: 4 }),
        GlobalSecondaryIndexes: { byG: expect.objectContaining({ CapacityUnits: 2 }) },
      }),
    ]);
  });

  // "If an update to the table changes the value of an indexed key attribute (from A to B), two
  // writes are required, one to delete the previous item from the index and another write to put
  // the new item into the index."
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
  it('charges a transactional update that moves the index key a delete and a put in the index', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'gsi-2' }, g: { S: 'a' } } }),
    );
    const result = await transact([
      {
        Update: {
          TableName: table,
          Key: { pk: { S: 'gsi-2' } },
          UpdateExpression: 'SET g = :b',
          ExpressionAttributeValues: { ':b': { S: 'b' } },
        },
      },
    ]);
    expect(result.ConsumedCapacity).toEqual([
      expect.objectContaining({
        CapacityUnits: 2 + 2,
        Table: expect.objectContaining({ CapacityUnits: 2 }),
        GlobalSecondaryIndexes: { byG: expect.objectContaining({ CapacityUnits: 2 }) },
      }),
    ]);
  });

  // "If the ReturnConsumedCapacity parameter is set, then the initial TransactWriteItems call
  // returns the number of write capacity units consumed in making the changes. Subsequent
  // TransactWriteItems calls with the same client token return the number of read capacity
  // units consumed in reading the item."
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-apis-txwriteitems-idempotency
  it('reports read units, not write units, for a replay with the same ClientRequestToken', async () => {
    const items: TransactWriteItemsCommandInput['TransactItems'] = [
      { Put: { TableName: table, Item: { pk: { S: 'replayed' }, data: { S: 'small' } } } },
    ];
    const token = `${cloud.prefix}-replay`;
    const first = await transact(items, { ClientRequestToken: token, ReturnConsumedCapacity: 'TOTAL' });
    expect(first.ConsumedCapacity).toEqual([
      expect.objectContaining({ TableName: table, CapacityUnits: 2, WriteCapacityUnits: 2 }),
    ]);
    const replay = await transact(items, { ClientRequestToken: token, ReturnConsumedCapacity: 'TOTAL' });
    // A transactional read of the sub-4 KB item: 2 RCU.
    expect(replay.ConsumedCapacity).toEqual([
      expect.objectContaining({ TableName: table, CapacityUnits: 2, ReadCapacityUnits: 2 }),
    ]);
    expect(replay.ConsumedCapacity?.[0]?.WriteCapacityUnits).toBeUndefined();
  });

  // A failed conditional write still consumes write capacity ("If the expression evaluates to
  // false, DynamoDB will still consume write capacity units from the table"), but the error
  // carries no ConsumedCapacity: ConditionalCheckFailedException has only a message and Item.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#API_PutItem_Errors
  it('reports no ConsumedCapacity on a failed conditional write', async () => {
    const error = await cloud.clients.dynamodb
      .send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'replayed' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as Record<string, unknown>).ConsumedCapacity).toBeUndefined();
  });
});
