/**
 * Test fixture: create and delete DynamoDB tables through the real SDK. Names carry the test
 * cloud's prefix, so runs against a shared CONFORMANCE_ENDPOINT do not collide.
 */
import { CreateTableCommand, DeleteTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';

const DEFAULT_PARTITION_KEY = { name: 'pk', type: 'S' };
function keySchema(partitionKey, sortKey) {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' }] : []),
  ];
}
function indexes(specs) {
  return specs.map((index) => ({
    IndexName: index.name,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: index.projection ?? { ProjectionType: 'ALL' },
  }));
}
/** Every key attribute of the table and its indexes, each defined once, in order of first use. */
function attributeDefinitions(spec, partitionKey) {
  const keys = [partitionKey, spec.sortKey];
  for (const index of [...(spec.globalIndexes ?? []), ...(spec.localIndexes ?? [])]) {
    keys.push(index.partitionKey, index.sortKey);
  }
  const definitions = new Map();
  for (const key of keys) {
    if (key && !definitions.has(key.name)) definitions.set(key.name, key.type);
  }
  return [...definitions].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}
/**
 * Sends CreateTable for an on-demand table and returns without waiting for it to become ACTIVE
 * (the local cloud creates tables at once; against AWS use {@link createTable}, which waits).
 */
export async function requestTable(dynamodb, name, spec = {}) {
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
export async function createTable(cloud, suffix, spec = {}) {
  const name = `${cloud.prefix}-${suffix}`;
  await requestTable(cloud.clients.dynamodb, name, spec);
  // AWS creates tables asynchronously; writes before ACTIVE fail there.
  await waitUntilTableExists({ client: cloud.clients.dynamodb, maxWaitTime: 120 }, { TableName: name });
  return name;
}
/** Deletes a table, ignoring failures: cleanup must not fail a run, and the table may be gone. */
export async function deleteTable(cloud, name) {
  if (!name) return;
  try {
    await cloud.clients.dynamodb.send(new DeleteTableCommand({ TableName: name }));
  } catch {
    // Best effort, like the cloud's own shutdown.
  }
}
