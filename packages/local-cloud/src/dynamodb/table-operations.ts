/**
 * Control-plane operations: CreateTable, DescribeTable, DeleteTable, ListTables, UpdateTable,
 * UpdateTimeToLive, DescribeTimeToLive, tags and continuous-backup stubs. Tables are ACTIVE at once.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../protocol.js';
import { itemSize, validationError } from './attribute-values.js';
import { projectForIndex } from './capacity.js';
import type { EngineState } from './engine-state.js';
import {
  asInput,
  type Input,
  optionalArray,
  optionalBoolean,
  optionalEnum,
  optionalNumber,
  optionalObject,
  optionalString,
  requiredString,
} from './request-input.js';
import {
  type IndexDefinition,
  type KeyAttribute,
  type KeySchema,
  keyNamesOf,
  type ProjectionDefinition,
  Table,
  type TableDefinition,
} from './table-store.js';

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

function checkTableName(name: string, member = 'tableName'): void {
  if (!TABLE_NAME.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255`,
    );
  }
}

function parseAttributeDefinitions(input: Input): KeyAttribute[] {
  const raw = optionalArray(input, 'AttributeDefinitions') ?? [];
  return raw.map((entry) => {
    const definition = asInput(entry);
    const name = requiredString(definition, 'AttributeName', 'attributeDefinitions.member.attributeName');
    const type = optionalEnum(definition, 'AttributeType', ['S', 'N', 'B'] as const, 'S');
    if (definition.AttributeType === undefined) {
      throw validationError(
        "1 validation error detected: Value null at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must not be null",
      );
    }
    return { name, type };
  });
}

function parseKeySchema(raw: unknown[] | undefined, definitions: KeyAttribute[], what: string): KeySchema {
  if (!raw || raw.length < 1 || raw.length > 2) {
    throw validationError(
      `1 validation error detected: Value '${JSON.stringify(raw ?? null)}' at '${what}' failed to satisfy constraint: Member must have length less than or equal to 2`,
    );
  }
  const elements = raw.map((entry) => {
    const element = asInput(entry);
    return {
      name: requiredString(element, 'AttributeName'),
      keyType: optionalEnum(element, 'KeyType', ['HASH', 'RANGE'] as const, 'HASH'),
    };
  });
  if (elements[0]!.keyType !== 'HASH') {
    throw validationError('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  }
  if (elements[1] && elements[1].keyType !== 'RANGE') {
    throw validationError('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  }
  if (elements[1] && elements[1].name === elements[0]!.name) {
    throw validationError(
      'Invalid KeySchema: Both the Hash Key and the Range Key element in the KeySchema have the same name',
    );
  }
  const attribute = (name: string): KeyAttribute => {
    const found = definitions.find((definition) => definition.name === name);
    if (!found) {
      throw validationError(
        `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${elements.map((element) => element.name).join(', ')}], AttributeDefinitions: [${definitions.map((definition) => definition.name).join(', ')}]`,
      );
    }
    return found;
  };
  const hash = attribute(elements[0]!.name);
  return elements[1] ? { hash, range: attribute(elements[1].name) } : { hash };
}

function parseProjection(raw: Input | undefined): ProjectionDefinition {
  if (!raw) {
    throw validationError(
      "1 validation error detected: Value null at 'projection' failed to satisfy constraint: Member must not be null",
    );
  }
  const type = optionalEnum(raw, 'ProjectionType', ['ALL', 'KEYS_ONLY', 'INCLUDE'] as const, 'ALL');
  const nonKey = (optionalArray(raw, 'NonKeyAttributes') ?? []).map(String);
  if (type !== 'INCLUDE' && nonKey.length > 0) {
    throw validationError(
      'One or more parameter values were invalid: ProjectionType is ' +
        type +
        ', but NonKeyAttributes is specified',
    );
  }
  return { type, nonKeyAttributes: nonKey };
}

function parseThroughput(raw: Input | undefined): { read: number; write: number } | undefined {
  if (!raw) return undefined;
  const read = optionalNumber(raw, 'ReadCapacityUnits');
  const write = optionalNumber(raw, 'WriteCapacityUnits');
  if (read === undefined || write === undefined || read < 1 || write < 1) {
    throw validationError(
      'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified and at least 1',
    );
  }
  return { read, write };
}

function parseIndex(
  raw: unknown,
  kind: 'GSI' | 'LSI',
  definitions: KeyAttribute[],
  tableKey: KeySchema,
  billingMode: TableDefinition['billingMode'],
): IndexDefinition {
  const input = asInput(raw);
  const name = requiredString(input, 'IndexName');
  checkTableName(name, 'indexName');
  const key = parseKeySchema(optionalArray(input, 'KeySchema'), definitions, 'keySchema');
  if (kind === 'LSI') {
    if (!tableKey.range) {
      throw validationError(
        'One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex',
      );
    }
    if (key.hash.name !== tableKey.hash.name || !key.range) {
      throw validationError(
        `One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: ${name}. index hash key: ${key.hash.name}, table hash key: ${tableKey.hash.name}`,
      );
    }
  }
  const provisioned = parseThroughput(optionalObject(input, 'ProvisionedThroughput'));
  if (kind === 'GSI' && billingMode === 'PROVISIONED' && !provisioned) {
    throw validationError(
      `One or more parameter values were invalid: ProvisionedThroughput must be specified for index: ${name}`,
    );
  }
  const projection = parseProjection(optionalObject(input, 'Projection'));
  return provisioned ? { name, kind, key, projection, provisioned } : { name, kind, key, projection };
}

export function createTable(state: EngineState, input: Input, region: string): unknown {
  const name = requiredString(input, 'TableName', 'tableName');
  checkTableName(name);
  const definitions = parseAttributeDefinitions(input);
  const key = parseKeySchema(optionalArray(input, 'KeySchema'), definitions, 'keySchema');
  const billingMode = optionalEnum(
    input,
    'BillingMode',
    ['PROVISIONED', 'PAY_PER_REQUEST'] as const,
    'PROVISIONED',
  );
  const provisioned = parseThroughput(optionalObject(input, 'ProvisionedThroughput'));
  if (billingMode === 'PROVISIONED' && !provisioned) {
    throw validationError(
      'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
    );
  }
  if (billingMode === 'PAY_PER_REQUEST' && provisioned) {
    throw validationError(
      'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
    );
  }
  const indexes = [
    ...(optionalArray(input, 'GlobalSecondaryIndexes') ?? []).map((raw) =>
      parseIndex(raw, 'GSI', definitions, key, billingMode),
    ),
    ...(optionalArray(input, 'LocalSecondaryIndexes') ?? []).map((raw) =>
      parseIndex(raw, 'LSI', definitions, key, billingMode),
    ),
  ];
  const seen = new Set<string>();
  for (const index of indexes) {
    if (seen.has(index.name)) {
      throw validationError(`One or more parameter values were invalid: Duplicate index name: ${index.name}`);
    }
    seen.add(index.name);
  }
  const used = new Set([...keyNamesOf(key), ...indexes.flatMap((index) => keyNamesOf(index.key))]);
  if (definitions.length !== used.size || definitions.some((definition) => !used.has(definition.name))) {
    throw validationError(
      'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
    );
  }
  if (state.tables.has(name)) throw new AwsError('ResourceInUseException', `Table already exists: ${name}`);
  const streamSpecification = optionalObject(input, 'StreamSpecification');
  const tags = optionalArray(input, 'Tags') as TableDefinition['tags'];
  const definition: TableDefinition = {
    name,
    tableId: randomUUID(),
    key,
    attributeDefinitions: definitions,
    billingMode,
    ...(provisioned ? { provisioned } : {}),
    indexes,
    createdAt: state.clock.now(),
    deletionProtection: optionalBoolean(input, 'DeletionProtectionEnabled') ?? false,
    ...(streamSpecification ? { streamSpecification } : {}),
    ...(tags ? { tags } : {}),
  };
  const table = new Table(definition);
  state.tables.set(name, table);
  return { TableDescription: describe(state, table, region) };
}

function keySchemaOut(key: KeySchema): unknown[] {
  const out: unknown[] = [{ AttributeName: key.hash.name, KeyType: 'HASH' }];
  if (key.range) out.push({ AttributeName: key.range.name, KeyType: 'RANGE' });
  return out;
}

function throughputOut(provisioned: { read: number; write: number } | undefined): unknown {
  return {
    NumberOfDecreasesToday: 0,
    ReadCapacityUnits: provisioned?.read ?? 0,
    WriteCapacityUnits: provisioned?.write ?? 0,
  };
}

/** The TableDescription AWS returns; sizes and counts are exact (AWS refreshes them every ~6 hours). */
export function describe(state: EngineState, table: Table, region: string): Record<string, unknown> {
  const definition = table.definition;
  const arn = state.tableArn(region, definition.name);
  let tableBytes = 0;
  for (const entry of table.items.values()) tableBytes += itemSize(entry.item);
  const indexOut = (index: IndexDefinition): Record<string, unknown> => {
    const collection = table.indexes.get(index.name)!.collection;
    let count = 0;
    let bytes = 0;
    for (const partition of collection.partitions.values()) {
      count += partition.entries.length;
      for (const entry of partition.entries) bytes += itemSize(projectForIndex(table, index, entry.item));
    }
    const projection: Record<string, unknown> = { ProjectionType: index.projection.type };
    if (index.projection.type === 'INCLUDE') projection.NonKeyAttributes = index.projection.nonKeyAttributes;
    const out: Record<string, unknown> = {
      IndexName: index.name,
      KeySchema: keySchemaOut(index.key),
      Projection: projection,
      IndexSizeBytes: bytes,
      ItemCount: count,
      IndexArn: `${arn}/index/${index.name}`,
    };
    if (index.kind === 'GSI') {
      out.IndexStatus = 'ACTIVE';
      out.ProvisionedThroughput = throughputOut(index.provisioned);
    }
    return out;
  };
  const globals = definition.indexes.filter((index) => index.kind === 'GSI');
  const locals = definition.indexes.filter((index) => index.kind === 'LSI');
  const description: Record<string, unknown> = {
    AttributeDefinitions: definition.attributeDefinitions.map((attribute) => ({
      AttributeName: attribute.name,
      AttributeType: attribute.type,
    })),
    TableName: definition.name,
    KeySchema: keySchemaOut(definition.key),
    TableStatus: 'ACTIVE',
    CreationDateTime: definition.createdAt / 1000,
    ProvisionedThroughput: throughputOut(definition.provisioned),
    TableSizeBytes: tableBytes,
    ItemCount: table.items.size,
    TableArn: arn,
    TableId: definition.tableId,
    BillingModeSummary: {
      BillingMode: definition.billingMode,
      ...(definition.billingMode === 'PAY_PER_REQUEST'
        ? { LastUpdateToPayPerRequestDateTime: definition.createdAt / 1000 }
        : {}),
    },
    DeletionProtectionEnabled: definition.deletionProtection ?? false,
  };
  if (globals.length > 0) description.GlobalSecondaryIndexes = globals.map(indexOut);
  if (locals.length > 0) description.LocalSecondaryIndexes = locals.map(indexOut);
  const stream = definition.streamSpecification as { StreamEnabled?: boolean } | undefined;
  if (stream) description.StreamSpecification = stream;
  if (stream?.StreamEnabled) {
    // Stream records are not produced (see docs/local-cloud-dynamodb.md); the ARN lets templates resolve.
    const label = new Date(definition.createdAt).toISOString().replace(/Z$/, '');
    description.LatestStreamLabel = label;
    description.LatestStreamArn = `${arn}/stream/${label}`;
  }
  return description;
}

export function describeTable(state: EngineState, input: Input, region: string): unknown {
  const name = requiredString(input, 'TableName', 'tableName');
  const table = state.tables.get(name);
  if (!table)
    throw new AwsError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  return { Table: describe(state, table, region) };
}

export function deleteTable(state: EngineState, input: Input, region: string): unknown {
  const name = requiredString(input, 'TableName', 'tableName');
  const table = state.tables.get(name);
  if (!table)
    throw new AwsError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
  if (table.definition.deletionProtection) {
    throw validationError(
      `Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`,
    );
  }
  const description = describe(state, table, region);
  state.tables.delete(name);
  return { TableDescription: { ...description, TableStatus: 'DELETING' } };
}

export function listTables(state: EngineState, input: Input): unknown {
  const limit = optionalNumber(input, 'Limit') ?? 100;
  if (limit < 1 || limit > 100) {
    throw validationError(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100`,
    );
  }
  const start = optionalString(input, 'ExclusiveStartTableName');
  const names = [...state.tables.keys()].sort().filter((name) => start === undefined || name > start);
  const page = names.slice(0, limit);
  return {
    TableNames: page,
    ...(names.length > limit ? { LastEvaluatedTableName: page[page.length - 1] } : {}),
  };
}

/** The UpdateTable members that change something (AttributeDefinitions alone does not). */
const TABLE_UPDATES = [
  'BillingMode',
  'ProvisionedThroughput',
  'StreamSpecification',
  'DeletionProtectionEnabled',
  'SSESpecification',
  'ReplicaUpdates',
  'TableClass',
  'OnDemandThroughput',
  'WarmThroughput',
];

/**
 * What UpdateTable rejects before changing anything (wording from DynamoDB Local 1.25.1, where
 * the API page names the rule but not the message).
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
 */
function checkTableUpdate(table: Table, input: Input): void {
  const indexUpdates = optionalArray(input, 'GlobalSecondaryIndexUpdates') ?? [];
  const changes = TABLE_UPDATES.some((member) => input[member] !== undefined && input[member] !== null);
  if (!changes && indexUpdates.length === 0) throw validationError('Nothing to update');
  for (const raw of indexUpdates) {
    const update = asInput(raw);
    if (
      !['Create', 'Delete', 'Update'].some(
        (action) => update[action] !== undefined && update[action] !== null,
      )
    ) {
      throw validationError('Update global secondary index action is null');
    }
  }
  const throughput = optionalObject(input, 'ProvisionedThroughput');
  const current = table.definition.provisioned;
  if (
    throughput &&
    current &&
    throughput.ReadCapacityUnits === current.read &&
    throughput.WriteCapacityUnits === current.write
  ) {
    throw validationError('The requested throughput value equals the current value');
  }
  const stream = optionalObject(input, 'StreamSpecification');
  const streaming = (table.definition.streamSpecification as { StreamEnabled?: boolean } | undefined)
    ?.StreamEnabled;
  if (stream && stream.StreamEnabled === false && !streaming) {
    throw validationError('Table has no stream to disable');
  }
}

export function updateTable(state: EngineState, input: Input, region: string): unknown {
  const table = state.table(requiredString(input, 'TableName', 'tableName'));
  checkTableUpdate(table, input);
  let definition = table.definition;
  const billingMode = optionalEnum(
    input,
    'BillingMode',
    ['PROVISIONED', 'PAY_PER_REQUEST'] as const,
    definition.billingMode,
  );
  const provisioned =
    parseThroughput(optionalObject(input, 'ProvisionedThroughput')) ?? definition.provisioned;
  if (billingMode === 'PROVISIONED' && !provisioned) {
    throw validationError(
      'One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED',
    );
  }
  const newDefinitions = parseAttributeDefinitions(input);
  const attributeDefinitions = [...definition.attributeDefinitions];
  for (const attribute of newDefinitions) {
    const existing = attributeDefinitions.find((other) => other.name === attribute.name);
    if (existing && existing.type !== attribute.type) {
      throw validationError(`Cannot change the type of attribute ${attribute.name}`);
    }
    if (!existing) attributeDefinitions.push(attribute);
  }
  const indexes = [...definition.indexes];
  const created: IndexDefinition[] = [];
  const dropped: string[] = [];
  for (const raw of optionalArray(input, 'GlobalSecondaryIndexUpdates') ?? []) {
    const update = asInput(raw);
    const create = optionalObject(update, 'Create');
    const remove = optionalObject(update, 'Delete');
    const change = optionalObject(update, 'Update');
    if (create) {
      const index = parseIndex(create, 'GSI', attributeDefinitions, definition.key, billingMode);
      if (indexes.some((other) => other.name === index.name)) {
        throw validationError(`Attempting to create an index which already exists`);
      }
      indexes.push(index);
      created.push(index);
    } else if (remove) {
      const name = requiredString(remove, 'IndexName');
      const position = indexes.findIndex((index) => index.name === name && index.kind === 'GSI');
      if (position < 0)
        throw new AwsError('ResourceNotFoundException', `Requested resource not found: Index: ${name}`);
      indexes.splice(position, 1);
      dropped.push(name);
    } else if (change) {
      const name = requiredString(change, 'IndexName');
      const position = indexes.findIndex((index) => index.name === name && index.kind === 'GSI');
      if (position < 0)
        throw new AwsError('ResourceNotFoundException', `Requested resource not found: Index: ${name}`);
      const throughput = parseThroughput(optionalObject(change, 'ProvisionedThroughput'));
      if (throughput) indexes[position] = { ...indexes[position]!, provisioned: throughput };
    }
  }
  const ttl = definition.ttl;
  definition = {
    ...definition,
    billingMode,
    attributeDefinitions,
    indexes,
    ...(billingMode === 'PROVISIONED' && provisioned ? { provisioned } : {}),
    ...(ttl ? { ttl } : {}),
  };
  if (billingMode === 'PAY_PER_REQUEST') delete (definition as { provisioned?: unknown }).provisioned;
  const protection = optionalBoolean(input, 'DeletionProtectionEnabled');
  if (protection !== undefined) definition = { ...definition, deletionProtection: protection };
  const stream = optionalObject(input, 'StreamSpecification');
  if (stream) definition = { ...definition, streamSpecification: stream };
  table.definition = definition;
  for (const name of dropped) table.dropIndex(name);
  for (const index of created) table.addIndex(index);
  return { TableDescription: describe(state, table, region) };
}

export function updateTimeToLive(state: EngineState, input: Input): unknown {
  const table = state.table(requiredString(input, 'TableName', 'tableName'));
  const specification = optionalObject(input, 'TimeToLiveSpecification');
  if (!specification) {
    throw validationError(
      "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null",
    );
  }
  const enabled = optionalBoolean(specification, 'Enabled');
  const attribute = requiredString(specification, 'AttributeName', 'timeToLiveSpecification.attributeName');
  if (enabled === undefined) {
    throw validationError(
      "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null",
    );
  }
  const current = table.definition.ttl;
  if (!enabled && !current?.enabled) throw validationError('TimeToLive is already disabled');
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TimeToLiveSpecification.html
  if (attribute.length < 1 || attribute.length > 255) {
    throw validationError(
      `1 validation error detected: Value '${attribute}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length ${attribute.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 255'}`,
    );
  }
  if (current?.enabled && current.attribute !== attribute) {
    throw validationError('TimeToLive is active on a different AttributeName');
  }
  if (enabled && current?.enabled) throw validationError('TimeToLive is already enabled');
  table.definition = { ...table.definition, ttl: { attribute, enabled } };
  return { TimeToLiveSpecification: { Enabled: enabled, AttributeName: attribute } };
}

export function describeTimeToLive(state: EngineState, input: Input): unknown {
  const table = state.table(requiredString(input, 'TableName', 'tableName'));
  const ttl = table.definition.ttl;
  return {
    TimeToLiveDescription: ttl?.enabled
      ? { TimeToLiveStatus: 'ENABLED', AttributeName: ttl.attribute }
      : { TimeToLiveStatus: 'DISABLED' },
  };
}

function tableByArn(state: EngineState, input: Input): Table {
  const arn = requiredString(input, 'ResourceArn', 'resourceArn');
  const name = /:table\/([^/]+)$/.exec(arn)?.[1];
  const table = name ? state.tables.get(name) : undefined;
  if (!table)
    throw new AwsError(
      'ResourceNotFoundException',
      `Requested resource not found: ResourcArn: ${arn} not found`,
    );
  return table;
}

export function tagResource(state: EngineState, input: Input): unknown {
  const table = tableByArn(state, input);
  const added = (optionalArray(input, 'Tags') ?? []).map(
    (tag) => asInput(tag) as { Key: string; Value: string },
  );
  const tags = (table.definition.tags ?? []).filter((tag) => !added.some((other) => other.Key === tag.Key));
  table.definition = { ...table.definition, tags: [...tags, ...added] };
  return {};
}

export function untagResource(state: EngineState, input: Input): unknown {
  const table = tableByArn(state, input);
  const keys = (optionalArray(input, 'TagKeys') ?? []).map(String);
  table.definition = {
    ...table.definition,
    tags: (table.definition.tags ?? []).filter((tag) => !keys.includes(tag.Key)),
  };
  return {};
}

export function listTagsOfResource(state: EngineState, input: Input): unknown {
  return { Tags: tableByArn(state, input).definition.tags ?? [] };
}

/** Point-in-time recovery is accepted and reported, not emulated (there is nothing to restore from). */
export function describeContinuousBackups(state: EngineState, input: Input): unknown {
  state.table(requiredString(input, 'TableName', 'tableName'));
  return {
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
    },
  };
}

export function updateContinuousBackups(state: EngineState, input: Input): unknown {
  state.table(requiredString(input, 'TableName', 'tableName'));
  const enabled =
    optionalBoolean(
      optionalObject(input, 'PointInTimeRecoverySpecification') ?? {},
      'PointInTimeRecoveryEnabled',
    ) ?? false;
  return {
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: enabled ? 'ENABLED' : 'DISABLED' },
    },
  };
}
