/**
 * BatchGetItem by partition key over any number of ids: chunks of 100 (the API's limit), each
 * retried until DynamoDB has returned every key it left unprocessed under throttling.
 */
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY } from '../core/tables.js';

/** BatchGetItem takes at most 100 keys per request. */
const MAX_KEYS_PER_REQUEST = 100;
/** Rounds per chunk before giving up on keys DynamoDB keeps leaving unprocessed. */
const MAX_ROUNDS = 8;

type KeysAndAttributes = NonNullable<BatchGetCommandInput['RequestItems']>[string];

/** The items found for `ids` (duplicates read once); `label` names the table in the error. */
export async function batchGetByIds(
  documents: DynamoDBDocumentClient,
  tableName: string,
  ids: readonly string[],
  label: string,
  read: Omit<KeysAndAttributes, 'Keys'> = {},
): Promise<Record<string, unknown>[]> {
  const unique = [...new Set(ids)];
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < unique.length; start += MAX_KEYS_PER_REQUEST) {
    let keys: Record<string, unknown>[] = unique
      .slice(start, start + MAX_KEYS_PER_REQUEST)
      .map((id) => ({ [PARTITION_KEY]: id }));
    for (let round = 0; keys.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`${label} batch read left ${keys.length} keys unprocessed`);
      const result = await documents.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { ...read, Keys: keys } } }),
      );
      items.push(...(result.Responses?.[tableName] ?? []));
      keys = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return items;
}
