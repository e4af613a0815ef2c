/**
 * DynamoDB conformance: UpdateItem's update expressions (SET, REMOVE, ADD, DELETE) and ReturnValues.
 */
import {
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onDynamoDbLocal } from '../support/dynamodb-local.js';
import { createTable, deleteTable } from '../support/dynamodb-tables.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let table: string;

beforeAll(async () => {
  table = await createTable(cloud, 'updates');
});

afterAll(() => deleteTable(cloud, table));

function update(pk: string, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>) {
  return cloud.clients.dynamodb.send(
    new UpdateItemCommand({ TableName: table, Key: { pk: { S: pk } }, ...input }),
  );
}

async function stored(pk: string) {
  const got = await cloud.clients.dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return got.Item;
}

describe('update expressions', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.SET.IncrementAndDecrement
  it('SET with + and - does decimal arithmetic and UPDATED_NEW returns the changed attributes', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'arith' }, a: { N: '0.1' }, b: { N: '10' } } }),
    );
    const result = await update('arith', {
      UpdateExpression: 'SET a = a + :x, b = b - :y',
      ExpressionAttributeValues: { ':x': { N: '0.2' }, ':y': { N: '2.5' } },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(result.Attributes).toEqual({ a: { N: '0.3' }, b: { N: '7.5' } });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.SET.PreventingAttributeOverwrites
  it('if_not_exists keeps an existing value and fills a missing one; UpdateItem creates a missing item', async () => {
    const first = await update('defaults', {
      UpdateExpression:
        'SET created = if_not_exists(created, :now), hits = if_not_exists(hits, :zero) + :one',
      ExpressionAttributeValues: { ':now': { N: '100' }, ':zero': { N: '0' }, ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(first.Attributes).toEqual({ pk: { S: 'defaults' }, created: { N: '100' }, hits: { N: '1' } });
    const second = await update('defaults', {
      UpdateExpression:
        'SET created = if_not_exists(created, :now), hits = if_not_exists(hits, :zero) + :one',
      ExpressionAttributeValues: { ':now': { N: '200' }, ':zero': { N: '0' }, ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(second.Attributes).toEqual({ pk: { S: 'defaults' }, created: { N: '100' }, hits: { N: '2' } });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.SET.UpdatingListElements
  it('list_append appends and prepends, and SET on a list index replaces that element', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'list' }, l: { L: [{ S: 'b' }] } } }),
    );
    await update('list', {
      UpdateExpression: 'SET l = list_append(:front, l)',
      ExpressionAttributeValues: { ':front': { L: [{ S: 'a' }] } },
    });
    const result = await update('list', {
      UpdateExpression: 'SET l = list_append(l, :back), l2 = :l2',
      ExpressionAttributeValues: { ':back': { L: [{ S: 'c' }] }, ':l2': { L: [{ N: '1' }, { N: '2' }] } },
      ReturnValues: 'ALL_NEW',
    });
    expect(result.Attributes?.l).toEqual({ L: [{ S: 'a' }, { S: 'b' }, { S: 'c' }] });
    await update('list', {
      UpdateExpression: 'SET l2[1] = :x',
      ExpressionAttributeValues: { ':x': { N: '9' } },
    });
    expect((await stored('list'))?.l2).toEqual({ L: [{ N: '1' }, { N: '9' }] });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.REMOVE
  // DynamoDB Local returns whole top-level attributes for UPDATED_OLD of nested paths, not just the
  // removed members (test/oracle/dynamodb-local-deviations.ts).
  it.skipIf(onDynamoDbLocal())(
    'REMOVE deletes attributes, nested map members and list elements; UPDATED_OLD returns what was removed',
    async () => {
      await cloud.clients.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: 'remove' },
            gone: { S: 'x' },
            m: { M: { keep: { N: '1' }, drop: { N: '2' } } },
            l: { L: [{ S: 'a' }, { S: 'b' }, { S: 'c' }] },
          },
        }),
      );
      const result = await update('remove', {
        UpdateExpression: 'REMOVE gone, m.#d, l[0], l[2]',
        ExpressionAttributeNames: { '#d': 'drop' },
        ReturnValues: 'UPDATED_OLD',
      });
      expect(result.Attributes).toEqual({
        gone: { S: 'x' },
        m: { M: { drop: { N: '2' } } },
        l: { L: [{ S: 'a' }, { S: 'c' }] },
      });
      expect(await stored('remove')).toEqual({
        pk: { S: 'remove' },
        m: { M: { keep: { N: '1' } } },
        l: { L: [{ S: 'b' }] },
      });
    },
  );

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD
  it('ADD increments numbers (starting from 0) and adds set members', async () => {
    await update('add', {
      UpdateExpression: 'ADD #count :n, tags :tags',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':n': { N: '5' }, ':tags': { SS: ['a', 'b'] } },
    });
    const result = await update('add', {
      UpdateExpression: 'ADD #count :n, tags :tags',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':n': { N: '-2' }, ':tags': { SS: ['b', 'c'] } },
      ReturnValues: 'ALL_NEW',
    });
    expect(result.Attributes?.count).toEqual({ N: '3' });
    expect([...(result.Attributes?.tags?.SS ?? [])].sort()).toEqual(['a', 'b', 'c']);
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.DELETE
  it('DELETE removes set members and drops the attribute when the set becomes empty', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'delete' }, ns: { NS: ['1', '2', '3'] }, ss: { SS: ['x'] } },
      }),
    );
    const result = await update('delete', {
      UpdateExpression: 'DELETE ns :two, ss :x',
      ExpressionAttributeValues: { ':two': { NS: ['2'] }, ':x': { SS: ['x'] } },
      ReturnValues: 'ALL_NEW',
    });
    expect([...(result.Attributes?.ns?.NS ?? [])].sort()).toEqual(['1', '3']);
    expect(result.Attributes?.ss).toBeUndefined();
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValues
  it('ReturnValues ALL_OLD returns the whole item as it was before the update', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'old' }, v: { N: '1' }, w: { S: 'w' } } }),
    );
    const result = await update('old', {
      UpdateExpression: 'SET v = :two',
      ExpressionAttributeValues: { ':two': { N: '2' } },
      ReturnValues: 'ALL_OLD',
    });
    expect(result.Attributes).toEqual({ pk: { S: 'old' }, v: { N: '1' }, w: { S: 'w' } });
  });

  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.SET.AddingNestedMapAttributes
  it('SET on a nested map attribute updates only that member', async () => {
    await cloud.clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'nested' }, profile: { M: { city: { S: 'Oslo' }, zip: { S: '0150' } } } },
      }),
    );
    await update('nested', {
      UpdateExpression: 'SET profile.city = :city, profile.country = :country',
      ExpressionAttributeValues: { ':city': { S: 'Bergen' }, ':country': { S: 'NO' } },
    });
    expect((await stored('nested'))?.profile).toEqual({
      M: { city: { S: 'Bergen' }, zip: { S: '0150' }, country: { S: 'NO' } },
    });
  });
});
