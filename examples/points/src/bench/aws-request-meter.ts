/**
 * Counts what a workload asks of AWS, through SDK middleware on the real clients: requests per
 * service and operation, SQS billable requests (64 KB chunks of each request's payload), and
 * DynamoDB capacity units as reported by ReturnConsumedCapacity.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

type MeteredClient = SQSClient | DynamoDBClient;
type Handler = (args: { request: unknown }) => Promise<{ output: unknown }>;
/** The slice of the SDK's middleware stack this meter uses, identical for every client. */
interface MiddlewareHost {
  middlewareStack: {
    add(
      middleware: (next: Handler, context: { commandName?: string }) => Handler,
      options: { step: 'finalizeRequest'; name: string; override: boolean },
    ): void;
  };
}

const SQS_CHUNK_BYTES = 64 * 1024;

interface ConsumedCapacityLike {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export class AwsRequestMeter {
  /** `service:Operation` -> count */
  readonly requests = new Map<string, number>();
  sqsBillableRequests = 0;
  dynamodbWriteUnits = 0;
  dynamodbReadUnits = 0;

  /** Adds counting middleware to a client; `service` names it in the counts (`sqs`, `dynamodb`). */
  attach(client: MeteredClient, service: 'sqs' | 'dynamodb'): void {
    (client as unknown as MiddlewareHost).middlewareStack.add(
      (next, context) => async (args) => {
        const key = `${service}:${String(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
        this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
        if (service === 'sqs') {
          const body = (args.request as { body?: unknown } | undefined)?.body;
          const bytes = typeof body === 'string' ? Buffer.byteLength(body) : 0;
          this.sqsBillableRequests += Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
        }
        const result = await next(args);
        if (service === 'dynamodb')
          this.recordCapacity((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
        return result;
      },
      { step: 'finalizeRequest', name: 'oncelyRequestMeter', override: true },
    );
  }

  /** Failed DynamoDB requests (e.g. a cancelled transaction) also consume capacity; callers add it here. */
  recordCapacity(consumed: unknown): void {
    const entries = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
    for (const entry of entries as ConsumedCapacityLike[]) {
      if (entry.WriteCapacityUnits !== undefined || entry.ReadCapacityUnits !== undefined) {
        this.dynamodbWriteUnits += entry.WriteCapacityUnits ?? 0;
        this.dynamodbReadUnits += entry.ReadCapacityUnits ?? 0;
      } else {
        // Without a read/write split, CapacityUnits is the operation's kind.
        this.dynamodbWriteUnits += entry.CapacityUnits ?? 0;
      }
    }
  }

  total(service: 'sqs' | 'dynamodb'): number {
    let sum = 0;
    for (const [key, count] of this.requests) if (key.startsWith(`${service}:`)) sum += count;
    return sum;
  }

  byOperation(): Record<string, number> {
    return Object.fromEntries([...this.requests].sort(([a], [b]) => a.localeCompare(b)));
  }
}
