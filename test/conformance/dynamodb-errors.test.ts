/**
 * DynamoDB conformance: the errors AWS returns for bad requests, with their messages, and (locally)
 * that no bad request, however malformed, stops the endpoint from serving the next one.
 */
import {
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onDynamoDbLocal } from '../support/dynamodb-local.js';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let table: string;

beforeAll(async () => {
  table = await createTable(cloud, 'errors', { sortKey: { name: 'sk', type: 'N' } });
  await cloud.clients.dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { pk: { S: 'ok' }, sk: { N: '1' }, payload: { S: 'a' } } }),
  );
});

afterAll(() => deleteTable(cloud, table));

/**
 * DynamoDB Local words some errors differently from AWS ("Type mismatch for key", "One of the
 * required keys was not given a value"); there the code is checked, not the words.
 */
function awsWording(message: string): string | RegExp {
  return onDynamoDbLocal() ? /./ : message;
}

function validation(message: string | RegExp) {
  return {
    name: 'ValidationException',
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  };
}

describe('errors', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html#API_GetItem_Errors
  it('answers requests on an unknown table with ResourceNotFoundException', async () => {
    const missing = `${cloud.prefix}-no-such-table`;
    await expect(
      cloud.clients.dynamodb.send(new GetItemCommand({ TableName: missing, Key: { pk: { S: 'a' } } })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      cloud.clients.dynamodb.send(new DescribeTableCommand({ TableName: missing })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ReadingData
  it('rejects a Key that does not match the key schema', async () => {
    await expect(
      cloud.clients.dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: 'ok' }, sk: { S: '1' } } }),
      ),
    ).rejects.toMatchObject(validation(awsWording('The provided key element does not match the schema')));
    await expect(
      cloud.clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'ok' } } })),
    ).rejects.toMatchObject(validation(awsWording('The provided key element does not match the schema')));
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-Item
  it('rejects an item missing a key attribute or with a key of the wrong type', async () => {
    await expect(
      cloud.clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'x' } } })),
    ).rejects.toMatchObject(
      validation(awsWording('One or more parameter values were invalid: Missing the key sk in the item')),
    );
    await expect(
      cloud.clients.dynamodb.send(
        new PutItemCommand({ TableName: table, Item: { pk: { N: '1' }, sk: { N: '1' } } }),
      ),
    ).rejects.toMatchObject(
      validation(
        awsWording(
          'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N',
        ),
      ),
    );
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.String
  it('rejects an empty string as a key value', async () => {
    await expect(
      cloud.clients.dynamodb.send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: '' }, sk: { N: '1' } } }),
      ),
    ).rejects.toMatchObject(
      validation(
        'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk',
      ),
    );
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
  it('rejects an item larger than 400 KB', async () => {
    await expect(
      cloud.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'big' }, sk: { N: '1' }, blob: { S: 'z'.repeat(400 * 1024) } },
        }),
      ),
    ).rejects.toMatchObject(validation('Item size has exceeded the maximum allowed size'));
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html
  it('rejects reserved words, syntax errors and undefined or unused placeholders in expressions', async () => {
    const update = (input: Partial<ConstructorParameters<typeof UpdateItemCommand>[0]>) =>
      cloud.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'ok' }, sk: { N: '1' } },
          UpdateExpression: 'SET payload = :v',
          ExpressionAttributeValues: { ':v': { S: 'b' } },
          ...input,
        }),
      );
    await expect(
      update({ ConditionExpression: '#status = :v', ExpressionAttributeNames: undefined }),
    ).rejects.toMatchObject(
      validation(/attribute name used in the document path is not defined; attribute name: #status/),
    );
    await expect(update({ ConditionExpression: 'status = :v' })).rejects.toMatchObject(
      validation(
        'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status',
      ),
    );
    await expect(update({ ConditionExpression: 'payload = = :v' })).rejects.toMatchObject(
      validation(/^Invalid ConditionExpression: Syntax error; token: "="/),
    );
    await expect(
      update({ ExpressionAttributeValues: { ':v': { S: 'b' }, ':unused': { S: 'c' } } }),
    ).rejects.toMatchObject(
      validation('Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}'),
    );
    await expect(update({ UpdateExpression: 'SET payload = :missing' })).rejects.toMatchObject(
      validation(/attribute value used in expression is not defined; attribute value: :missing/),
    );
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
  it('rejects updating a key attribute and arithmetic on a non-number', async () => {
    await expect(
      cloud.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'ok' }, sk: { N: '1' } },
          UpdateExpression: 'SET pk = :v',
          ExpressionAttributeValues: { ':v': { S: 'other' } },
        }),
      ),
    ).rejects.toMatchObject(
      validation(
        'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
      ),
    );
    await expect(
      cloud.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'ok' }, sk: { N: '1' } },
          UpdateExpression: 'SET payload = payload + :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      ),
    ).rejects.toMatchObject(validation('An operand in the update expression has an incorrect data type'));
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
  it('rejects a key condition whose value type differs from the key schema', async () => {
    await expect(
      cloud.clients.dynamodb.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND sk > :sk',
          ExpressionAttributeValues: { ':pk': { S: 'ok' }, ':sk': { S: 'not a number' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  // Local-cloud robustness (no AWS page): malformed wire requests get a 400 and the next request is served.
  it('keeps serving after every kind of malformed request', async () => {
    if (!cloud.local) return; // Unsigned raw requests are only meaningful against the local endpoint.
    const raw = (operation: string, body: string) =>
      fetch(cloud.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${operation}`,
        },
        body,
      });
    const bad: [string, string][] = [
      ['PutItem', '{not json'],
      ['PutItem', '[]'],
      ['PutItem', JSON.stringify({ TableName: 5 })],
      ['PutItem', JSON.stringify({ TableName: table, Item: 'not a map' })],
      ['PutItem', JSON.stringify({ TableName: table, Item: { pk: { S: 'x' }, sk: { N: 'NaN-ish' } } })],
      ['PutItem', JSON.stringify({ TableName: table, Item: { pk: { S: 'x', N: '1' }, sk: { N: '1' } } })],
      ['PutItem', JSON.stringify({ TableName: table, Item: { pk: {}, sk: { N: '1' } } })],
      ['GetItem', JSON.stringify({ TableName: table, Key: null })],
      ['Query', JSON.stringify({ TableName: table, KeyConditionExpression: '((((' })],
      [
        'Query',
        JSON.stringify({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: 7 }),
      ],
      ['Scan', JSON.stringify({ TableName: table, Segment: 3, TotalSegments: 2 })],
      ['BatchWriteItem', JSON.stringify({ RequestItems: { [table]: [{}] } })],
      ['TransactWriteItems', JSON.stringify({ TransactItems: [{ Put: null }] })],
      ['CreateTable', JSON.stringify({ TableName: 'x', KeySchema: 'nope' })],
      ['NoSuchOperation', '{}'],
    ];
    for (const [operation, body] of bad) {
      const response = await raw(operation, body);
      expect(response.status, `${operation} ${body}`).toBe(400);
      const error = (await response.json()) as { __type: string; message: string };
      expect(error.__type).toMatch(/#|Exception/);
      const ok = await cloud.clients.dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: 'ok' }, sk: { N: '1' } } }),
      );
      expect(ok.Item?.pk).toEqual({ S: 'ok' });
    }
  });
});
