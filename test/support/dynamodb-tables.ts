/**
 * Test fixture: create and delete DynamoDB tables through the real SDK. Names carry the test
 * cloud's prefix, so runs against a shared CONFORMANCE_ENDPOINT do not collide.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type ScalarAttributeType,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { TestCloud } from './local-cloud.js';

/** A key attribute: its name and scalar type. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: ScalarAttributeType;
}

/** A secondary index: its keys and what it projects. */
export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** @default { ProjectionType: 'ALL' } */
  readonly projection?: Projection;
}

export interface TableSpec {
  /** @default { name: 'pk', type: 'S' } */
  readonly partitionKey?: KeyAttribute;
  /** @default no sort key */
  readonly sortKey?: KeyAttribute;
  /** @default none */
  readonly globalIndexes?: readonly IndexSpec[];
  /** Local indexes share the table's partition key. @default none */
  readonly localIndexes?: readonly IndexSpec[];
}

const DEFAULT_PARTITION_KEY: KeyAttribute = { name: 'pk', type: 'S' };

function keySchema(partitionKey: KeyAttribute, sortKey?: KeyAttribute): KeySchemaElement[] {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

function indexes(specs: readonly IndexSpec[]): Array<GlobalSecondaryIndex & LocalSecondaryIndex> {
  return specs.map((index) => ({
    IndexName: index.name,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: index.projection ?? { ProjectionType: 'ALL' },
  }));
}

/** Every key attribute of the table and its indexes, each defined once, in order of first use. */
function attributeDefinitions(spec: TableSpec, partitionKey: KeyAttribute): AttributeDefinition[] {
  const keys = [partitionKey, spec.sortKey];
  for (const index of [...(spec.globalIndexes ?? []), ...(spec.localIndexes ?? [])]) {
    keys.push(index.partitionKey, index.sortKey);
  }
  const definitions = new Map<string, ScalarAttributeType>();
  for (const key of keys) {
    if (key && !definitions.has(key.name)) definitions.set(key.name, key.type);
  }
  return [...definitions].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

/**
 * Sends CreateTable for an on-demand table and returns without waiting for it to become ACTIVE
 * (the local cloud creates tables at once; against AWS use {@link createTable}, which waits).
 */
export async function requestTable(
  dynamodb: DynamoDBClient,
  name: string,
  spec: TableSpec = {},
): Promise<void> {
  const partitionKey = spec.partitionKey ?? DEFAULT_PARTITION_KEY;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributeDefinitions(spec, partitionKey),
      KeySchema: keySchema(partitionKey, spec.sortKey),
      ...(spec.globalIndexes?.length ? { GlobalSecondaryIndexes: indexes(spec.globalIndexes) } : {}),
      ...(spec.localIndexes?.length ? { LocalSecondaryIndexes: indexes(spec.localIndexes) } : {}),
    }),
  );
}

/**
 * Creates an on-demand table named `<prefix>-<suffix>` and waits until it is ACTIVE.
 *
 * @returns the full table name
 */
export async function createTable(cloud: TestCloud, suffix: string, spec: TableSpec = {}): Promise<string> {
  const name = `${cloud.prefix}-${suffix}`;
  await requestTable(cloud.clients.dynamodb, name, spec);
  // AWS creates tables asynchronously; writes before ACTIVE fail there.
  await waitUntilTableExists({ client: cloud.clients.dynamodb, maxWaitTime: 120 }, { TableName: name });
  return name;
}

/** Deletes a table, ignoring failures: cleanup must not fail a run, and the table may be gone. */
export async function deleteTable(cloud: TestCloud, name: string | undefined): Promise<void> {
  if (!name) return;
  try {
    await cloud.clients.dynamodb.send(new DeleteTableCommand({ TableName: name }));
  } catch {
    // Best effort, like the cloud's own shutdown.
  }
}
