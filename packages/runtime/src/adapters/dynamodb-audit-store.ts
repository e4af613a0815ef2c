/**
 * The auditor's storage on DynamoDB: streams from the leases table, claims and consumption-log
 * items through the claims table's `byProducer` index, envelopes from the outbox, checkpoints and the last report in the
 * control table. Reads only the table contracts of packages/runtime/src/core/tables.ts.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type {
  AuditReport,
  AuditStore,
  OpenSeq,
  OutboxRecord,
  ProducerStream,
  StreamCheckpoint,
  StreamClaim,
  StreamSeqKey,
  TailObservation,
} from '../core/audit/audit-model.js';
import { streamSeqKey } from '../core/audit/audit-model.js';
import { type Envelope, envelopeSchema } from '../core/envelope.js';
import {
  CLAIMS,
  type ClaimStatus,
  CONTROL,
  OUTBOX,
  type OutboxStatus,
  PARTITION_KEY,
} from '../core/tables.js';
import { queryStreamClaims } from './dynamodb-stream-claims.js';

/** The tables the audit store reads and writes. */
export interface DynamoDbAuditStoreTables {
  readonly claims: string;
  readonly outbox?: string;
  readonly leases: string;
  readonly control: string;
}

/** Outbox states that may hold an unconsumed message; COMPLETED items are never read. */
const UNCONSUMED_OUTBOX_STATES: readonly OutboxStatus[] = ['PENDING', 'SENT', 'EXHAUSTED'];
const CHECKPOINT_PREFIX = CONTROL.auditCheckpointKey('');

type Item = Record<string, unknown>;

/**
 * The auditor's AuditStore on DynamoDB (see the module comment for what it reads where).
 *
 * @example
 * const store = new DynamoDbAuditStore(clients.documents, { claims, leases, control, outbox });
 */
export class DynamoDbAuditStore implements AuditStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tables: DynamoDbAuditStoreTables,
  ) {}

  async listStreams(): Promise<ProducerStream[]> {
    const streams: ProducerStream[] = [];
    for await (const page of paginateScan({ client: this.documents }, { TableName: this.tables.leases })) {
      for (const item of page.Items ?? []) streams.push(...streamsOfLease(item));
    }
    return streams;
  }

  async listOpenCheckpoints(): Promise<StreamCheckpoint[]> {
    const found: StreamCheckpoint[] = [];
    const pages = paginateScan(
      { client: this.documents },
      {
        TableName: this.tables.control,
        FilterExpression: 'begins_with(#pk, :prefix) AND #done = :false',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#done': 'done' },
        ExpressionAttributeValues: { ':prefix': CHECKPOINT_PREFIX, ':false': false },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) found.push(checkpointOf(item));
    }
    return found;
  }

  async loadCheckpoint(producer: string): Promise<StreamCheckpoint | undefined> {
    const { Item: item } = await this.documents.send(
      new GetCommand({
        TableName: this.tables.control,
        Key: { [PARTITION_KEY]: CONTROL.auditCheckpointKey(producer) },
        ConsistentRead: true,
      }),
    );
    return item ? checkpointOf(item) : undefined;
  }

  async saveCheckpoint(checkpoint: StreamCheckpoint, expectedVersion: number | undefined): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tables.control,
          Item: {
            [PARTITION_KEY]: CONTROL.auditCheckpointKey(checkpoint.producer),
            producer: checkpoint.producer,
            scannedSeq: checkpoint.scannedSeq,
            // JSON keeps thousands of open seqs in one small attribute instead of a nested list.
            open: JSON.stringify(checkpoint.open),
            tail: JSON.stringify(checkpoint.tail),
            done: checkpoint.done,
            version: checkpoint.version,
            updatedAt: Date.now(),
          },
          ConditionExpression:
            expectedVersion === undefined ? 'attribute_not_exists(#pk)' : '#version = :expected',
          ExpressionAttributeNames:
            expectedVersion === undefined ? { '#pk': PARTITION_KEY } : { '#version': 'version' },
          ...(expectedVersion === undefined
            ? {}
            : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Claims and consumption-log items both sit in the `byProducer` index, a log item under the lowest
   * of its seqs (all within CLAIMS.logSpan of it): so the read starts logSpan - 1 below, and a seq is
   * known complete once the index has been read past it.
   */
  async claimsAfter(producer: string, afterSeq: number, limit: number): Promise<StreamClaim[]> {
    return queryStreamClaims(this.documents, this.tables.claims, producer, afterSeq + 1, undefined, limit);
  }

  async claimsBetween(producer: string, from: number, to: number): Promise<StreamClaim[]> {
    return queryStreamClaims(
      this.documents,
      this.tables.claims,
      producer,
      from,
      to,
      Number.POSITIVE_INFINITY,
    );
  }

  /**
   * The outbox has no (producer, seq) index, so this reads the `byStatus` index for the states that
   * can hold an unconsumed message and matches the envelopes. It runs only when a run has overdue
   * messages, and its cost is the number of not-yet-completed outbox items.
   */
  async findOutbox(wanted: ReadonlySet<StreamSeqKey>): Promise<Map<StreamSeqKey, OutboxRecord>> {
    const found = new Map<StreamSeqKey, OutboxRecord>();
    if (!this.tables.outbox || wanted.size === 0) return found;
    for (const status of UNCONSUMED_OUTBOX_STATES) {
      const pages = paginateQuery(
        { client: this.documents },
        {
          TableName: this.tables.outbox,
          IndexName: OUTBOX.byStatusIndex,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const envelope = envelopeOf(item.envelope);
          const key = envelope && streamSeqKey(envelope.producer, envelope.seq);
          if (envelope && key && wanted.has(key)) found.set(key, { envelope, status });
        }
        if (found.size === wanted.size) return found;
      }
    }
    return found;
  }

  async saveReport(report: AuditReport): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tables.control,
        Item: {
          [PARTITION_KEY]: CONTROL.auditReportKey,
          report: JSON.stringify(report),
          missing: report.counts.missing,
          finishedAt: report.finishedAt,
        },
      }),
    );
  }

  async loadReport(): Promise<AuditReport | undefined> {
    const { Item: item } = await this.documents.send(
      new GetCommand({ TableName: this.tables.control, Key: { [PARTITION_KEY]: CONTROL.auditReportKey } }),
    );
    return typeof item?.report === 'string' ? (JSON.parse(item.report) as AuditReport) : undefined;
  }
}

/**
 * A lease item (see dynamodb-lease-store.ts) names its live stream and that stream's reserved
 * high-water mark, and keeps, per closed stream, its final mark (`closedStreams`), how it closed
 * (`closedBy`: `release` and `fenced` record the last stamped number exactly, `takeover` only the
 * last reservation) and the seqs the producer voided (`voided`).
 */
export function streamsOfLease(item: Item): ProducerStream[] {
  const voided = mapOf(item.voided);
  const closedBy = mapOf(item.closedBy);
  const voidedOf = (stream: string) => {
    const seqs = voided[stream];
    return Array.isArray(seqs) ? seqs.map(Number).filter(Number.isInteger) : [];
  };
  const streams: ProducerStream[] = [];
  if (typeof item.stream === 'string') {
    streams.push({
      producer: item.stream,
      highWater: numberOrUndefined(item.highWater) ?? 0,
      closed: false,
      exactHighWater: false,
      voided: voidedOf(item.stream),
    });
  }
  for (const [producer, highWater] of Object.entries(mapOf(item.closedStreams))) {
    const how = closedBy[producer];
    streams.push({
      producer,
      highWater: numberOrUndefined(highWater) ?? 0,
      closed: true,
      exactHighWater: how === 'release' || how === 'fenced',
      voided: voidedOf(producer),
    });
  }
  return streams;
}

function mapOf(value: unknown): Item {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Item) : {};
}

function checkpointOf(item: Item): StreamCheckpoint {
  return {
    producer: String(item.producer),
    scannedSeq: Number(item.scannedSeq ?? 0),
    open: JSON.parse(String(item.open ?? '[]')) as OpenSeq[],
    tail: JSON.parse(String(item.tail ?? '[]')) as TailObservation[],
    done: item.done === true,
    version: Number(item.version ?? 0),
  };
}

function envelopeOf(raw: unknown): Envelope | undefined {
  try {
    const parsed = envelopeSchema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function numberOrUndefined(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
