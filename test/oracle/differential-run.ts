/**
 * The differential run: the same seeded requests go to the embedded emulator and to DynamoDB
 * Local, their answers are normalised (status, error code, cancellation reasons, returned items
 * and attributes; sets as sets, unordered results as multisets) and compared, and after every
 * write the items it touched are read back from both and compared. A difference is explained
 * only by an entry of the allow-list (DynamoDB Local's documented or proven deviations).
 */
import {
  type Body,
  type Operation,
  OperationGenerator,
  type TableNames,
  tableDefinitions,
} from './differential-operations.js';

/** One endpoint's raw answer. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export type Send = (operation: string, body: Body) => Promise<Answer>;

/** An answer reduced to what must agree. */
export interface Normalised {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly result?: unknown;
  /** Shown and matched by the allow-list, never compared: cancellation reason messages. */
  readonly details?: readonly string[];
}

export interface Difference {
  /** `answer`: the responses differ; `stored`: the items a write left behind differ. */
  readonly stage: 'answer' | 'stored';
  readonly operation: Operation;
  readonly local: Normalised;
  readonly oracle: Normalised;
}

/** A known deviation of DynamoDB Local from AWS, with the evidence for it. */
export interface Deviation {
  readonly id: string;
  readonly reason: string;
  /** The AWS page (or recording) that shows AWS's behaviour. */
  readonly source: string;
  matches(difference: Difference): boolean;
}

export interface DifferentialReport {
  readonly operations: number;
  readonly requests: number;
  readonly byKind: Record<string, number>;
  readonly agreed: number;
  readonly explained: Record<string, number>;
  readonly unexplained: Difference[];
  /** Errors both sides returned with the same code but different words (informational). */
  readonly messageMismatches: number;
  readonly storedItems: number;
  readonly millis: number;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length === 1 && ['SS', 'NS', 'BS'].includes(keys[0]!) && Array.isArray(record[keys[0]!])) {
    // Sets are unordered: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.SetTypes
    return { [keys[0]!]: [...(record[keys[0]!] as string[])].sort() };
  }
  const result: Record<string, unknown> = {};
  for (const key of keys) result[key] = canonical(record[key]);
  return result;
}

const text = (value: unknown): string => JSON.stringify(canonical(value));

function sortedItems(items: unknown): unknown {
  if (!Array.isArray(items)) return items;
  return items.map(canonical).sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

/** Index queries: items with equal index keys come back in no documented order. */
function indexOrder(items: unknown, body: Body): unknown {
  if (!Array.isArray(items)) return items;
  const sortName = body.IndexName === 'byLocal' ? 'l' : body.IndexName === 'byGroup' ? 'sk' : undefined;
  if (!sortName) return sortedItems(items);
  const groups: unknown[][] = [];
  let last: string | undefined;
  for (const item of items as Record<string, unknown>[]) {
    const key = text(item[sortName]);
    if (groups.length === 0 || key !== last) groups.push([]);
    groups[groups.length - 1]!.push(item);
    last = key;
  }
  return groups.flatMap((group) => sortedItems(group) as unknown[]);
}

function errorCode(body: Record<string, unknown>): string {
  const type = String(body.__type ?? '');
  return type.slice(type.indexOf('#') + 1);
}

/** Reduces one answer to what must agree between the endpoints. */
export function normalise(operation: Operation, answer: Answer): Normalised {
  const { body } = answer;
  if (answer.status !== 200) {
    const message = String(body.message ?? body.Message ?? '');
    const result: Record<string, unknown> = {};
    if (body.Item !== undefined) result.Item = canonical(body.Item);
    if (Array.isArray(body.CancellationReasons)) {
      result.CancellationReasons = (body.CancellationReasons as Record<string, unknown>[]).map((reason) =>
        canonical({ Code: reason.Code, ...(reason.Item ? { Item: reason.Item } : {}) }),
      );
    }
    const details = Array.isArray(body.CancellationReasons)
      ? (body.CancellationReasons as Record<string, unknown>[]).map((reason) => String(reason.Message ?? ''))
      : undefined;
    return { status: answer.status, code: errorCode(body), message, result, ...(details ? { details } : {}) };
  }
  switch (operation.operation) {
    case 'Query':
    case 'Scan': {
      const pages = body.pages as Record<string, unknown>[];
      if (operation.operation === 'Query' && operation.body.IndexName === undefined) {
        return { status: 200, result: canonical(pages) };
      }
      const items = pages.flatMap((page) => (page.Items as unknown[] | undefined) ?? []);
      return {
        status: 200,
        result: {
          pages: pages.length,
          Count: pages.reduce((sum, page) => sum + Number(page.Count ?? 0), 0),
          ScannedCount: pages.reduce((sum, page) => sum + Number(page.ScannedCount ?? 0), 0),
          Items:
            operation.operation === 'Query' && pages.length === 1
              ? indexOrder(items, operation.body)
              : sortedItems(items),
          hasItems: pages.every((page) => page.Items !== undefined),
        },
      };
    }
    case 'BatchGetItem': {
      const responses: Record<string, unknown> = {};
      for (const [table, items] of Object.entries((body.Responses as Record<string, unknown>) ?? {})) {
        responses[table] = sortedItems(items);
      }
      const unprocessed = body.UnprocessedKeys as Record<string, unknown> | undefined;
      return {
        status: 200,
        result: canonical({ Responses: responses, Unprocessed: Object.keys(unprocessed ?? {}).length }),
      };
    }
    case 'BatchWriteItem': {
      const unprocessed = body.UnprocessedItems as Record<string, unknown> | undefined;
      return { status: 200, result: { Unprocessed: Object.keys(unprocessed ?? {}).length } };
    }
    default: {
      const { ConsumedCapacity: _capacity, ItemCollectionMetrics: _metrics, ...rest } = body;
      return { status: 200, result: canonical(rest) };
    }
  }
}

function same(a: Normalised, b: Normalised): boolean {
  return a.status === b.status && a.code === b.code && text(a.result) === text(b.result);
}

/** Query and Scan are sent page by page (ExclusiveStartKey) until the last page. */
async function sendPaged(send: Send, operation: Operation): Promise<{ answer: Answer; requests: number }> {
  const pages: Record<string, unknown>[] = [];
  let start: unknown;
  for (let requests = 1; ; requests++) {
    const body = start === undefined ? operation.body : { ...operation.body, ExclusiveStartKey: start };
    const answer = await send(operation.operation, body);
    if (answer.status !== 200) return { answer, requests };
    pages.push(answer.body);
    start = answer.body.LastEvaluatedKey;
    if (start === undefined || requests >= 40) return { answer: { status: 200, body: { pages } }, requests };
  }
}

interface KeyRef {
  readonly table: string;
  readonly key: Body;
}

function validKey(table: TableNames, name: string, source: unknown): KeyRef | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const record = source as Record<string, { S?: unknown; N?: unknown }>;
  const pk = record.pk?.S;
  if (typeof pk !== 'string' || !/^p\d$/.test(pk)) return undefined;
  if (name === table.simple) return { table: name, key: { pk: { S: pk } } };
  if (name !== table.sorted) return undefined;
  const sk = record.sk?.N;
  if (typeof sk !== 'string' || !/^\d$/.test(sk)) return undefined;
  return { table: name, key: { pk: { S: pk }, sk: { N: sk } } };
}

/** The items a write request names (well-formed keys only). */
function keysOf(tables: TableNames, operation: Operation): KeyRef[] {
  const body = operation.body as Record<string, unknown>;
  const found: (KeyRef | undefined)[] = [];
  switch (operation.operation) {
    case 'PutItem':
      found.push(validKey(tables, String(body.TableName), body.Item));
      break;
    case 'UpdateItem':
    case 'DeleteItem':
      found.push(validKey(tables, String(body.TableName), body.Key));
      break;
    case 'TransactWriteItems':
      for (const action of (body.TransactItems as Record<string, Body>[]) ?? []) {
        for (const inner of Object.values(action)) {
          found.push(validKey(tables, String(inner.TableName), inner.Item ?? inner.Key));
        }
      }
      break;
    case 'BatchWriteItem':
      for (const [name, requests] of Object.entries(body.RequestItems as Record<string, Body[]>)) {
        for (const request of requests) {
          const put = request.PutRequest as Body | undefined;
          const remove = request.DeleteRequest as Body | undefined;
          found.push(validKey(tables, name, put?.Item ?? remove?.Key));
        }
      }
      break;
  }
  return found.filter((key): key is KeyRef => key !== undefined);
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

export interface DifferentialOptions {
  readonly local: Send;
  readonly oracle: Send;
  readonly seed: number;
  readonly operations: number;
  readonly prefix: string;
  readonly deviations: readonly Deviation[];
}

/** Runs the seeded requests against both endpoints and reports what agreed and what did not. */
export async function runDifferential(options: DifferentialOptions): Promise<DifferentialReport> {
  const started = Date.now();
  const tables: TableNames = { simple: `${options.prefix}-simple`, sorted: `${options.prefix}-sorted` };
  for (const definition of tableDefinitions(tables)) {
    for (const send of [options.local, options.oracle]) {
      const created = await send('CreateTable', definition);
      if (created.status !== 200) throw new Error(`CreateTable failed: ${JSON.stringify(created.body)}`);
    }
  }
  const generator = new OperationGenerator(options.seed, tables);
  const byKind: Record<string, number> = {};
  const explained: Record<string, number> = {};
  const unexplained: Difference[] = [];
  let agreed = 0;
  let requests = 0;
  let messageMismatches = 0;

  const record = (difference: Difference): void => {
    const deviation = options.deviations.find((entry) => entry.matches(difference));
    if (deviation) explained[deviation.id] = (explained[deviation.id] ?? 0) + 1;
    else unexplained.push(difference);
  };
  const read = async (send: Send, ref: KeyRef): Promise<Answer> => {
    requests++;
    return send('GetItem', { TableName: ref.table, Key: ref.key, ConsistentRead: true });
  };
  /** Copies the oracle's item to the emulator, so one difference does not cascade into others. */
  const resync = async (ref: KeyRef, oracleItem: unknown): Promise<void> => {
    requests++;
    if (oracleItem === undefined) await options.local('DeleteItem', { TableName: ref.table, Key: ref.key });
    else await options.local('PutItem', { TableName: ref.table, Item: oracleItem });
  };

  for (let i = 0; i < options.operations; i++) {
    const operation = generator.next();
    byKind[operation.kind] = (byKind[operation.kind] ?? 0) + 1;
    const paged = operation.operation === 'Query' || operation.operation === 'Scan';
    let localAnswer: Answer;
    let oracleAnswer: Answer;
    if (paged) {
      const local = await sendPaged(options.local, operation);
      const oracle = await sendPaged(options.oracle, operation);
      requests += local.requests + oracle.requests;
      localAnswer = local.answer;
      oracleAnswer = oracle.answer;
    } else {
      localAnswer = await options.local(operation.operation, operation.body);
      oracleAnswer = await options.oracle(operation.operation, operation.body);
      requests += 2;
    }
    const local = normalise(operation, localAnswer);
    const oracle = normalise(operation, oracleAnswer);
    const agrees = same(local, oracle);
    if (agrees) {
      agreed++;
      if (local.code && local.message !== oracle.message) messageMismatches++;
    } else {
      record({ stage: 'answer', operation, local, oracle });
    }
    // A refused write changes nothing, so only a write one side accepted is read back.
    if (!WRITES.has(operation.operation) || (localAnswer.status !== 200 && oracleAnswer.status !== 200))
      continue;
    for (const ref of keysOf(tables, operation)) {
      const [localItem, oracleItem] = await Promise.all([
        read(options.local, ref),
        read(options.oracle, ref),
      ]);
      const localStored = { status: localItem.status, result: canonical(localItem.body.Item) };
      const oracleStored = { status: oracleItem.status, result: canonical(oracleItem.body.Item) };
      if (!same(localStored, oracleStored)) {
        if (agrees) record({ stage: 'stored', operation, local: localStored, oracle: oracleStored });
        await resync(ref, oracleItem.body.Item);
      }
    }
  }

  // Finally every stored item, compared table by table.
  let storedItems = 0;
  for (const table of [tables.simple, tables.sorted]) {
    const scan: Operation = {
      operation: 'Scan',
      body: { TableName: table, ConsistentRead: true },
      kind: 'final',
    };
    const local = await sendPaged(options.local, scan);
    const oracle = await sendPaged(options.oracle, scan);
    requests += local.requests + oracle.requests;
    const localStored = normalise(scan, local.answer);
    const oracleStored = normalise(scan, oracle.answer);
    storedItems += (oracleStored.result as { Count?: number } | undefined)?.Count ?? 0;
    if (!same(localStored, oracleStored))
      record({ stage: 'stored', operation: scan, local: localStored, oracle: oracleStored });
  }
  for (const table of [tables.simple, tables.sorted]) {
    for (const send of [options.local, options.oracle]) await send('DeleteTable', { TableName: table });
  }
  return {
    operations: options.operations,
    requests,
    byKind,
    agreed,
    explained,
    unexplained,
    messageMismatches,
    storedItems,
    millis: Date.now() - started,
  };
}
