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
 *   capacity although AWS charges them: a failed conditional write is counted as 1 write unit per
 *   item, a cancelled transaction as 2 units per action (an upper bound for items under 1 KB), a
 *   throttled request as nothing.
 * Counting runs between {@link HttpRequestMeter.start} and {@link HttpRequestMeter.stop}.
 */
import type { RequestInterceptor, ServiceRequest, ServiceResponse } from '@oncely/local-cloud';

const SQS_CHUNK_BYTES = 64 * 1024;
const CONDITIONAL_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

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
    if (input && typeof input === 'object' && (input.ReturnConsumedCapacity ?? 'NONE') === 'NONE')
      input.ReturnConsumedCapacity = 'TOTAL';
    return undefined;
  }

  after(request: ServiceRequest, service: string, response: ServiceResponse): ServiceResponse {
    const operation = request.operation || `${request.method} ${request.url.split('?')[0]}`;
    if (!this.counting || !this.counts(service, request)) return response;
    const key = `${service}:${operation}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (service === 'sqs')
      this.sqsBillableRequests += Math.max(1, Math.ceil(request.rawBody.length / SQS_CHUNK_BYTES));
    if (service === 'dynamodb') this.recordDynamoDb(request, response);
    return response;
  }

  private recordDynamoDb(request: ServiceRequest, response: ServiceResponse): void {
    const body = parseJson(response.body);
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
    if (type.endsWith('ConditionalCheckFailedException') && CONDITIONAL_WRITES.has(request.operation))
      this.dynamodbWriteUnits += 1;
    if (type.endsWith('TransactionCanceledException')) {
      const items = (request.input as { TransactItems?: unknown[] } | undefined)?.TransactItems ?? [];
      this.dynamodbWriteUnits += 2 * items.length;
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
