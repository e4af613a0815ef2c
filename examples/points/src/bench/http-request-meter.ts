/**
 * Counts what a workload asks of AWS at the local cloud's HTTP level, as a RequestInterceptor.
 * SDK middleware (./aws-request-meter.ts) only sees the clients of the process it is attached to;
 * the consumer runs in the local Lambda's worker threads and the event source mapping polls SQS
 * with clients of its own, so counting where every request arrives is the honest method.
 *
 * - Requests per `service:Operation`.
 * - SQS billable requests: each 64 KB chunk of a request's payload is one request (AWS bills
 *   SendMessageBatch of 10 x 1 KB as one request, a 100 KB message as two).
 * - DynamoDB capacity units: the meter asks DynamoDB for `ReturnConsumedCapacity: TOTAL` on every
 *   request (it sets the parameter on the parsed input before the service runs; clients ignore the
 *   extra response field) and adds up what the responses report. Failed requests report no
 *   capacity although AWS charges some of them, so the meter charges those itself
 *   (examples/points/src/bench/pricing.ts `billingRules` lists each rule with its AWS page):
 *   - a failed conditional write (ConditionalCheckFailedException) as AWS documents it: 1 write
 *     unit per started KB of the existing item, 1 unit when there is none (or when the client set
 *     ReturnValuesOnConditionCheckFailure to NONE, which hides it from the meter too);
 *   - a cancelled transaction (TransactionCanceledException) at the documented upper bound, since
 *     AWS does not document what a cancelled transaction consumes: what the transaction would have
 *     cost had it committed, 2 write units per started KB of each action's item (2 read units per
 *     started 4 KB for TransactGetItems). The sizes are those the meter can see: a Put's new item
 *     and the existing item of an action whose condition failed; any other action counts as 1 KB
 *     (4 KB), so an Update, Delete or ConditionCheck whose condition held on an item over 1 KB is
 *     under-counted;
 *   - a throttled or invalid request as nothing.
 *   To see the existing item, the meter asks for `ReturnValuesOnConditionCheckFailure: ALL_OLD`
 *   where the client did not, and takes the item out of the error again before the client sees it.
 * Counting runs between {@link HttpRequestMeter.start} and {@link HttpRequestMeter.stop}.
 */
import type { RequestInterceptor, ServiceRequest, ServiceResponse } from '@oncely/local-cloud';

const SQS_CHUNK_BYTES = 64 * 1024;
const CONDITIONAL_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const TRANSACT_WRITE_KINDS = ['Put', 'Update', 'Delete', 'ConditionCheck'] as const;
const KB = 1024;

type Json = Record<string, unknown>;

interface CapacityEntry {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** What one metering window counted. */
export interface MeteredUsage {
  /** `service:Operation` -> requests, sorted by key. */
  readonly requests: Readonly<Record<string, number>>;
  readonly sqsBillableRequests: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
}

export class HttpRequestMeter implements RequestInterceptor {
  private readonly requests = new Map<string, number>();
  private sqsBillableRequests = 0;
  private dynamodbWriteUnits = 0;
  private dynamodbReadUnits = 0;
  private counting = false;
  /**
   * Requests the meter added `ReturnValuesOnConditionCheckFailure: ALL_OLD` to, with where: `true`
   * for a single write, else the indexes of the transaction's actions.
   */
  private readonly askedOld = new WeakMap<ServiceRequest, true | ReadonlySet<number>>();

  /**
   * @param counts decides which requests belong to the workload (e.g. not the runner's own
   * GetQueueAttributes sampling). @default every request
   */
  constructor(private readonly counts: (service: string, request: ServiceRequest) => boolean = () => true) {}

  start(): void {
    this.counting = true;
  }

  stop(): void {
    this.counting = false;
  }

  before(request: ServiceRequest, service: string): undefined {
    if (service !== 'dynamodb') return undefined;
    // Always ask, so capacity is known whether or not the window is open when the answer comes.
    const input = request.input as Record<string, unknown> | undefined;
    if (!input || typeof input !== 'object' || Array.isArray(input)) return undefined;
    if ((input.ReturnConsumedCapacity ?? 'NONE') === 'NONE') input.ReturnConsumedCapacity = 'TOTAL';
    // The existing item sizes what a failed condition costs: ask for it where the client did not.
    if (CONDITIONAL_WRITES.has(request.operation)) {
      if (isConditional(input) && input.ReturnValuesOnConditionCheckFailure === undefined) {
        input.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
        this.askedOld.set(request, true);
      }
    } else if (request.operation === 'TransactWriteItems' && Array.isArray(input.TransactItems)) {
      const asked = new Set<number>();
      input.TransactItems.forEach((entry: unknown, i: number) => {
        const action = actionOf(entry);
        if (action && isConditional(action) && action.ReturnValuesOnConditionCheckFailure === undefined) {
          action.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
          asked.add(i);
        }
      });
      if (asked.size > 0) this.askedOld.set(request, asked);
    }
    return undefined;
  }

  after(request: ServiceRequest, service: string, response: ServiceResponse): ServiceResponse {
    const operation = request.operation || `${request.method} ${request.url.split('?')[0]}`;
    const body = service === 'dynamodb' && response.status !== 200 ? parseJson(response.body) : undefined;
    // Whether or not this request is counted, the client gets the answer it asked for.
    const answer = body ? this.withoutAskedOld(request, response, body) : response;
    if (!this.counting || !this.counts(service, request)) return answer;
    const key = `${service}:${operation}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (service === 'sqs')
      this.sqsBillableRequests += Math.max(1, Math.ceil(request.rawBody.length / SQS_CHUNK_BYTES));
    if (service === 'dynamodb') this.recordDynamoDb(request, response, body);
    return answer;
  }

  /** The error response without the items only the meter asked for. */
  private withoutAskedOld(request: ServiceRequest, response: ServiceResponse, body: Json): ServiceResponse {
    const asked = this.askedOld.get(request);
    if (!asked) return response;
    let changed = false;
    const stripped: Json = { ...body };
    if (asked === true) {
      if ('Item' in stripped) {
        delete stripped.Item;
        changed = true;
      }
    } else if (Array.isArray(body.CancellationReasons)) {
      stripped.CancellationReasons = body.CancellationReasons.map((reason: unknown, i: number) => {
        if (!asked.has(i) || !isObject(reason) || !('Item' in reason)) return reason;
        changed = true;
        const { Item: _item, ...rest } = reason;
        return rest;
      });
    }
    return changed ? { ...response, body: JSON.stringify(stripped) } : response;
  }

  private recordDynamoDb(request: ServiceRequest, response: ServiceResponse, errorBody?: Json): void {
    const body = errorBody ?? parseJson(response.body);
    if (response.status === 200) {
      const consumed = body?.ConsumedCapacity;
      const entries = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as CapacityEntry[];
      for (const entry of entries) {
        if (entry.WriteCapacityUnits !== undefined || entry.ReadCapacityUnits !== undefined) {
          this.dynamodbWriteUnits += entry.WriteCapacityUnits ?? 0;
          this.dynamodbReadUnits += entry.ReadCapacityUnits ?? 0;
        } else if (isRead(request.operation)) this.dynamodbReadUnits += entry.CapacityUnits ?? 0;
        else this.dynamodbWriteUnits += entry.CapacityUnits ?? 0;
      }
      return;
    }
    const type = String(body?.__type ?? '');
    if (type.endsWith('ConditionalCheckFailedException') && CONDITIONAL_WRITES.has(request.operation)) {
      // "If the item exists, the number of write capacity units consumed depends on the size of
      // the item ... If the item does not exist, DynamoDB will consume one write capacity unit."
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption
      this.dynamodbWriteUnits += writeUnits(isObject(body?.Item) ? itemBytes(body.Item) : 0);
    }
    if (type.endsWith('TransactionCanceledException')) {
      const items = (request.input as { TransactItems?: unknown[] } | undefined)?.TransactItems ?? [];
      const reasons = Array.isArray(body?.CancellationReasons) ? body.CancellationReasons : [];
      if (request.operation === 'TransactGetItems') {
        // Upper bound: the documented 2 read units per started 4 KB of each item read, at least 4 KB.
        this.dynamodbReadUnits += 2 * items.length;
      } else {
        // Upper bound: the documented commit charge, 2 write units per started KB of each item.
        items.forEach((entry, i) => {
          const reason = reasons[i];
          const old = isObject(reason) && isObject(reason.Item) ? itemBytes(reason.Item) : 0;
          const put = actionOf(entry, 'Put')?.Item;
          const written = isObject(put) ? itemBytes(put) : 0;
          this.dynamodbWriteUnits += 2 * writeUnits(Math.max(old, written));
        });
      }
    }
  }

  usage(): MeteredUsage {
    return {
      requests: Object.fromEntries([...this.requests].sort(([a], [b]) => a.localeCompare(b))),
      sqsBillableRequests: this.sqsBillableRequests,
      dynamodbWriteUnits: round(this.dynamodbWriteUnits),
      dynamodbReadUnits: round(this.dynamodbReadUnits),
    };
  }
}

/** Requests of one service in a usage. */
export function requestsOf(usage: MeteredUsage, service: string): number {
  let sum = 0;
  for (const [key, count] of Object.entries(usage.requests)) if (key.startsWith(`${service}:`)) sum += count;
  return sum;
}

/** Whether a write carries a condition that can fail. */
function isConditional(write: Json): boolean {
  return write.ConditionExpression !== undefined || write.Expected !== undefined;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The Put/Update/Delete/ConditionCheck body of one TransactItems entry (of one kind, if given). */
function actionOf(entry: unknown, kind?: (typeof TRANSACT_WRITE_KINDS)[number]): Json | undefined {
  if (!isObject(entry)) return undefined;
  for (const name of kind ? [kind] : TRANSACT_WRITE_KINDS) if (isObject(entry[name])) return entry[name];
  return undefined;
}

/** Write units for an item of `bytes`: 1 per started KB, at least 1. */
function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/**
 * An item's size as DynamoDB bills it: the UTF-8 lengths of the attribute names plus the sizes of
 * the values (strings in UTF-8 bytes, binaries in raw bytes, numbers 1 byte per two significant
 * digits plus 1, Boolean and null 1 byte, lists and maps 3 bytes plus 1 per element).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function itemBytes(item: Json): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueBytes(value);
  return size;
}

function valueBytes(value: unknown): number {
  if (!isObject(value)) return 0;
  if (typeof value.S === 'string') return Buffer.byteLength(value.S);
  if (typeof value.N === 'string') return numberBytes(value.N);
  if (typeof value.B === 'string') return Buffer.byteLength(value.B, 'base64');
  if ('BOOL' in value || 'NULL' in value) return 1;
  if (Array.isArray(value.SS))
    return value.SS.reduce((sum: number, s) => sum + Buffer.byteLength(String(s)), 0);
  if (Array.isArray(value.NS)) return value.NS.reduce((sum: number, n) => sum + numberBytes(String(n)), 0);
  if (Array.isArray(value.BS))
    return value.BS.reduce((sum: number, b) => sum + Buffer.byteLength(String(b), 'base64'), 0);
  if (Array.isArray(value.L)) return value.L.reduce((sum: number, member) => sum + 1 + valueBytes(member), 3);
  if (isObject(value.M)) {
    let size = 3;
    for (const [name, member] of Object.entries(value.M))
      size += 1 + Buffer.byteLength(name) + valueBytes(member);
    return size;
  }
  return 0;
}

/** A number's bytes: digit pairs aligned on the decimal point, plus 1, plus 1 when negative. */
function numberBytes(text: string): number {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!match) return 1 + Math.ceil(text.length / 2);
  const fraction = match[3] ?? '';
  const all = `${match[2]}${fraction}`.replace(/^0+/, '');
  if (all === '') return 1;
  const digits = all.replace(/0+$/, '');
  const exponent = Number(match[4] ?? 0) - fraction.length + (all.length - digits.length);
  const leading = exponent + digits.length - 1;
  const pairs = Math.ceil(digits.length / 2) + (digits.length % 2 === 0 && leading % 2 === 0 ? 1 : 0);
  return 1 + pairs + (match[1] === '-' ? 1 : 0);
}

function isRead(operation: string): boolean {
  return /^(Get|BatchGet|Query|Scan|TransactGet)/.test(operation);
}

function parseJson(body: string | Buffer): Record<string, unknown> | undefined {
  try {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
