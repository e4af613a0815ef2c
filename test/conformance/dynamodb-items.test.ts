/**
 * DynamoDB conformance: single-item writes and reads with condition expressions, through the real
 * SDK. Runs against the embedded local cloud, or CONFORMANCE_ENDPOINT (LocalStack, AWS) when set.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let table: string;

beforeAll(async () => {
  table = await createTable(cloud, 'items');
});

afterAll(() => deleteTable(cloud, table));

describe('conditional writes', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
  it('accepts a put guarded by attribute_not_exists once, then rejects the second one', async () => {
    const put = () =>
      cloud.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'claim-1' }, state: { S: 'IN_PROGRESS' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure
  it('returns the existing item in ConditionalCheckFailedException when ReturnValuesOnConditionCheckFailure is ALL_OLD', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'claim-2' }, state: { S: 'COMPLETED' } } }),
    );
    const error = await cloud.clients.dynamodb
      .send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'claim-2' }, state: { S: 'IN_PROGRESS' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).message).toBe('The conditional request failed');
    expect((error as ConditionalCheckFailedException).Item).toEqual({
      pk: { S: 'claim-2' },
      state: { S: 'COMPLETED' },
    });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure
  it('omits Item from ConditionalCheckFailedException when no item existed', async () => {
    const error = await cloud.clients.dynamodb
      .send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'claim-absent' } },
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html#Expressions.ConditionExpressions.SimpleComparisons
  it('debits a balance only while balance >= :amount holds', async () => {
    const documents = cloud.clients.documents;
    await documents.send(new PutCommand({ TableName: table, Item: { pk: 'account-1', balance: 100 } }));
    const debit = (amount: number) =>
      documents.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: 'account-1' },
          UpdateExpression: 'SET balance = balance - :amount',
          ConditionExpression: 'balance >= :amount',
          ExpressionAttributeValues: { ':amount': amount },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
    expect((await debit(60)).Attributes).toEqual({ balance: 40 });
    await expect(debit(60)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await debit(40)).Attributes).toEqual({ balance: 0 });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
  it('evaluates the claim condition: absent, or IN_PROGRESS with an expired lease', async () => {
    const documents = cloud.clients.documents;
    const claim = (now: number) =>
      documents.send(
        new PutCommand({
          TableName: table,
          Item: { pk: 'message-7', status: 'IN_PROGRESS', leaseUntil: now + 30 },
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': now },
        }),
      );
    await claim(1000);
    await expect(claim(1010)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await claim(1031);
    const stored = await documents.send(new GetCommand({ TableName: table, Key: { pk: 'message-7' } }));
    expect(stored.Item?.leaseUntil).toBe(1061);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html#Expressions.OperatorsAndFunctions.Syntax
  it('supports BETWEEN, IN, NOT, begins_with, contains, size and attribute_type on nested paths', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: 'doc-1' },
          n: { N: '5' },
          tags: { SS: ['red', 'blue'] },
          profile: { M: { name: { S: 'Ada Lovelace' }, langs: { L: [{ S: 'en' }, { S: 'fr' }] } } },
        },
      }),
    );
    const holds = async (
      expression: string,
      values: Record<string, unknown>,
      names?: Record<string, string>,
    ) => {
      try {
        await cloud.clients.dynamodb.send(
          new DeleteItemCommand({
            TableName: table,
            Key: { pk: { S: 'doc-1' } },
            ConditionExpression: `NOT (${expression})`,
            ...(Object.keys(values).length > 0
              ? { ExpressionAttributeValues: values as Record<string, never> }
              : {}),
            ...(names ? { ExpressionAttributeNames: names } : {}),
          }),
        );
        throw new Error(`condition ${expression} was false, so the delete went through`);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return true;
        throw error;
      }
    };
    expect(await holds('n BETWEEN :low AND :high', { ':low': { N: '1' }, ':high': { N: '5' } })).toBe(true);
    expect(await holds('n IN (:a, :b)', { ':a': { N: '4' }, ':b': { N: '5.0' } })).toBe(true);
    expect(
      await holds('begins_with(profile.#n, :prefix)', { ':prefix': { S: 'Ada' } }, { '#n': 'name' }),
    ).toBe(true);
    expect(await holds('contains(tags, :tag)', { ':tag': { S: 'red' } })).toBe(true);
    expect(await holds('contains(profile.langs, :lang)', { ':lang': { S: 'fr' } })).toBe(true);
    expect(await holds('size(profile.langs) = :two', { ':two': { N: '2' } })).toBe(true);
    expect(await holds('attribute_type(profile.langs[1], :type)', { ':type': { S: 'S' } })).toBe(true);
    // MISSING is a reserved word, so it needs a placeholder:
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
    expect(
      await holds(
        'profile.langs[0] = :en AND NOT attribute_exists(#missing.thing)',
        { ':en': { S: 'en' } },
        { '#missing': 'missing' },
      ),
    ).toBe(true);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html#Expressions.OperatorsAndFunctions.Comparators
  it('treats a missing attribute as unequal (<> holds) and as unordered (< does not hold)', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'sparse' } } }),
    );
    const conditionalPut = (condition: string) =>
      cloud.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'sparse' } },
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':v': { N: '1' } },
        }),
      );
    await conditionalPut('nothingHere <> :v');
    await expect(conditionalPut('nothingHere < :v')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(conditionalPut('nothingHere = :v')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number
  it('keeps 38-digit decimal precision and returns numbers in canonical form', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: 'number-1' },
          big: { N: '12345678901234567890123456789012345678' },
          x: { N: '001.500' },
        },
      }),
    );
    const updated = await cloud.clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { pk: { S: 'number-1' } },
        ConditionExpression: 'big > :smaller AND x = :x',
        ExpressionAttributeValues: {
          ':smaller': { N: '12345678901234567890123456789012345677' },
          ':x': { N: '1.5' },
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(updated.Attributes?.big).toEqual({ N: '12345678901234567890123456789012345678' });
    expect(updated.Attributes?.x).toEqual({ N: '1.5' });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
  it('GetItem returns only the projected attributes, and no Item for a missing key', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'projected' }, a: { S: 'x' }, m: { M: { keep: { N: '1' }, drop: { N: '2' } } } },
      }),
    );
    const got = await cloud.clients.dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'projected' } },
        ProjectionExpression: 'a, m.keep',
        ConsistentRead: true,
      }),
    );
    expect(got.Item).toEqual({ a: { S: 'x' }, m: { M: { keep: { N: '1' } } } });
    const missing = await cloud.clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'never-written' } } }),
    );
    expect(missing.Item).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html
  it('DeleteItem with ReturnValues ALL_OLD returns the deleted item', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'to-delete' }, v: { BOOL: true } } }),
    );
    const deleted = await cloud.clients.dynamodb.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'to-delete' } }, ReturnValues: 'ALL_OLD' }),
    );
    expect(deleted.Attributes).toEqual({ pk: { S: 'to-delete' }, v: { BOOL: true } });
    const again = await cloud.clients.dynamodb.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'to-delete' } }, ReturnValues: 'ALL_OLD' }),
    );
    expect(again.Attributes).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
  it('lets exactly one of 20 concurrent conditional puts on one key succeed', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        cloud.clients.dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: 'contended' }, writer: { N: String(i) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ),
    );
    const succeeded = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter(
      (result) => result.status === 'rejected' && result.reason instanceof ConditionalCheckFailedException,
    );
    expect(succeeded).toHaveLength(1);
    expect(rejected).toHaveLength(19);
  });
});
