/**
 * DynamoDB billing conformance of the benchmark's meter (examples/points/src/bench/http-request-meter.ts)
 * on the embedded local cloud: requests that fail report no ConsumedCapacity, yet AWS bills them,
 * so the meter charges them as AWS documents, and the client still sees exactly AWS's answer.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption
 */
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpRequestMeter, itemBytes } from '../../examples/points/src/bench/http-request-meter.js';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { externalEndpoint } from '../support/local-cloud.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

let meter = new HttpRequestMeter();
// The cloud's one interceptor hands every request to the meter of the current test.
const cloud = useTestCloud({
  interceptor: {
    before: (request, service) => meter.before(request, service),
    after: (request, service, response) => meter.after(request, service, response),
  },
});
let table: string;
/** ~5 KB of payload: 5 WCU to write. */
const LARGE = 'y'.repeat(5000);
/** ~1.5 KB of payload: 2 WCU to write. */
const MEDIUM = 'x'.repeat(1500);

beforeAll(async () => {
  if (!externalEndpoint) table = await createTable(cloud, 'billing');
});

afterAll(() => deleteTable(cloud, table));

beforeEach(() => {
  meter = new HttpRequestMeter();
});

async function seed(pk: string, data: string): Promise<void> {
  await cloud.clients.dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, data: { S: data } } }),
  );
}

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the request should have failed'),
    (error: unknown) => error,
  );
}

// The meter is an interceptor of the embedded cloud: there is none to attach it to elsewhere.
describe.skipIf(externalEndpoint !== undefined)('billing meter', () => {
  // "If the expression evaluates to false, DynamoDB will still consume write capacity units from
  // the table: If the item exists, the number of write capacity units consumed depends on the size
  // of the item ... If the item does not exist, DynamoDB will consume one write capacity unit."
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption
  it('charges a failed conditional write 1 WCU per started KB of the existing item', async () => {
    await seed('large', LARGE);
    meter.start();
    const error = await failure(
      cloud.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'large' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    // The meter asked for the old item to size it; the client, which did not, does not get it.
    expect((error as ConditionalCheckFailedException).Item).toBeUndefined();
    expect(meter.usage().dynamodbWriteUnits).toBe(5);
  });

  it('charges a failed conditional write on an absent item 1 WCU', async () => {
    meter.start();
    const error = await failure(
      cloud.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'absent' } },
          UpdateExpression: 'SET v = :v',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':v': { S: LARGE } },
        }),
      ),
    );
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(meter.usage().dynamodbWriteUnits).toBe(1);
  });

  // The client's own ReturnValuesOnConditionCheckFailure is left as it asked.
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure
  it('leaves the old item in the error when the client asked for it', async () => {
    await seed('asked', MEDIUM);
    meter.start();
    const error = await failure(
      cloud.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'asked' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect((error as ConditionalCheckFailedException).Item).toEqual({
      pk: { S: 'asked' },
      data: { S: MEDIUM },
    });
    expect(meter.usage().dynamodbWriteUnits).toBe(2);
  });

  // AWS documents what a committed transaction costs ("Each item requires two write capacity
  // units (WCUs): one to prepare the transaction and one to commit the transaction") but not what
  // a cancelled one consumes, so the meter charges that documented upper bound.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
  it('charges a cancelled transaction at most what it would have cost to commit', async () => {
    await seed('tx-existing', LARGE);
    meter.start();
    const error = await failure(
      cloud.clients.dynamodb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: { S: 'tx-new' }, data: { S: MEDIUM } } } },
            {
              Update: {
                TableName: table,
                Key: { pk: { S: 'tx-existing' } },
                UpdateExpression: 'SET v = :v',
                ConditionExpression: 'attribute_not_exists(pk)',
                ExpressionAttributeValues: { ':v': { S: 'v' } },
              },
            },
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    expect(reasons.map((reason) => reason.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(reasons[1]?.Item).toBeUndefined();
    // 2 x 2 WCU for the ~1.5 KB put, 2 x 5 WCU for the ~5 KB item the update would have rewritten.
    expect(meter.usage().dynamodbWriteUnits).toBe(4 + 10);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-apis-txwriteitems-idempotency
  it('counts a replayed transaction as the read units DynamoDB reports for it', async () => {
    const send = () =>
      cloud.clients.dynamodb.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: table, Item: { pk: { S: 'tx-replay' } } } }],
          ClientRequestToken: `${cloud.prefix}-meter-replay`,
        }),
      );
    meter.start();
    await send();
    await send();
    expect(meter.usage()).toMatchObject({ dynamodbWriteUnits: 2, dynamodbReadUnits: 2 });
  });
});

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
describe('item size as DynamoDB bills it', () => {
  it('adds attribute names and values: strings in UTF-8, numbers by digit pairs, containers 3 bytes', () => {
    expect(itemBytes({ pk: { S: 'ab' } })).toBe(2 + 2);
    expect(itemBytes({ é: { S: 'é' } })).toBe(2 + 2);
    expect(itemBytes({ n: { N: '15' } })).toBe(1 + 2);
    expect(itemBytes({ n: { N: '-1.5' } })).toBe(1 + 4);
    expect(itemBytes({ b: { BOOL: true }, z: { NULL: true } })).toBe(2 + 2);
    expect(itemBytes({ l: { L: [{ S: 'a' }] }, m: { M: { k: { S: 'v' } } } })).toBe(1 + 3 + 2 + (1 + 3 + 3));
  });
});
