/**
 * In-memory fakes of the consumer's ports, for unit tests of the pure core. They implement the
 * documented DynamoDB semantics the core relies on (the claim condition, owner fencing, ALL_OLD),
 * not DynamoDB itself; the adapters are tested against the local cloud.
 */
import type { SQSRecord } from 'aws-lambda';
import { pointsDeductHandler } from '../../examples/points/src/domain/points-deduct.js';
import type {
  CancellationReason,
  ClaimAttempt,
  ClaimRecord,
  ClaimStore,
  CommitResult,
  DegradationReader,
  MessageActions,
  PoisonDelivery,
  SqsRecordRef,
} from '../../packages/runtime/src/core/consumer/index.js';
import { type ConsumerOptions, createConsumer } from '../../packages/runtime/src/core/consumer/index.js';
import type { DegradationLevel } from '../../packages/runtime/src/core/tables.js';
import type { TransactionWrite } from '../../packages/runtime/src/core/transaction-write.js';
import { RecordingTelemetry } from './recording-telemetry.js';

export class InMemoryClaimStore implements ClaimStore {
  readonly items = new Map<string, ClaimRecord>();
  /** Business writes of each successful commit (claim-only commits are not listed). */
  readonly committed: TransactionWrite[][] = [];
  /** Emulates stores that omit the old item on a failed condition (the consistent-read fallback). */
  returnOldItem = true;
  reads = 0;
  /** Reason codes for the business writes of the next commits; `None` for each when absent. */
  businessReasons: (writes: readonly TransactionWrite[]) => string[] = (writes) => writes.map(() => 'None');
  /** Thrown by the next call of the named operation, once. */
  private readonly failures = new Map<string, Error>();

  failNext(
    operation: 'tryClaim' | 'finish' | 'release' | 'commit' | 'read',
    error = new Error('boom'),
  ): void {
    this.failures.set(operation, error);
  }

  private maybeFail(operation: string): void {
    const error = this.failures.get(operation);
    if (error) {
      this.failures.delete(operation);
      throw error;
    }
  }

  private claimable(id: string, now: number): boolean {
    const existing = this.items.get(id);
    return !existing || (existing.status === 'IN_PROGRESS' && existing.leaseUntil < now);
  }

  async tryClaim(claim: ClaimRecord, now: number): Promise<ClaimAttempt> {
    this.maybeFail('tryClaim');
    if (!this.claimable(claim.id, now))
      return { kind: 'taken', existing: this.returnOldItem ? this.items.get(claim.id) : undefined };
    this.items.set(claim.id, claim);
    return { kind: 'claimed' };
  }

  async finish(
    id: string,
    owner: string,
    status: 'COMPLETED' | 'REJECTED',
    outcome: string,
    now: number,
  ): Promise<boolean> {
    this.maybeFail('finish');
    const existing = this.items.get(id);
    if (!existing || existing.owner !== owner || existing.status !== 'IN_PROGRESS') return false;
    this.items.set(id, { ...existing, status, outcome, completedAt: now });
    return true;
  }

  async release(id: string, owner: string): Promise<boolean> {
    this.maybeFail('release');
    const existing = this.items.get(id);
    if (!existing || existing.owner !== owner || existing.status !== 'IN_PROGRESS') return false;
    this.items.delete(id);
    return true;
  }

  async commit(
    claim: ClaimRecord | undefined,
    writes: readonly TransactionWrite[],
    now: number,
  ): Promise<CommitResult> {
    this.maybeFail('commit');
    const reasons: CancellationReason[] = [];
    if (claim) {
      const free = this.claimable(claim.id, now);
      const old = this.items.get(claim.id);
      reasons.push(
        free
          ? { code: 'None' }
          : { code: 'ConditionalCheckFailed', ...(this.returnOldItem && old ? { item: old } : {}) },
      );
    }
    for (const code of writes.length > 0 ? this.businessReasons(writes) : []) reasons.push({ code });
    if (reasons.some((reason) => reason.code !== 'None')) return { kind: 'cancelled', reasons };
    if (claim) this.items.set(claim.id, claim);
    if (writes.length > 0) this.committed.push([...writes]);
    return { kind: 'committed' };
  }

  async read(id: string): Promise<ClaimRecord | undefined> {
    this.maybeFail('read');
    this.reads += 1;
    return this.items.get(id);
  }
}

export class RecordingMessageActions implements MessageActions {
  readonly deadLetters: PoisonDelivery[] = [];
  readonly visibility: Array<{ messageId: string; seconds: number }> = [];
  deadLetterFails = false;

  async sendToDeadLetter(message: PoisonDelivery): Promise<void> {
    if (this.deadLetterFails) throw new Error('QueueDoesNotExist');
    this.deadLetters.push(message);
  }

  async changeVisibility(record: SqsRecordRef, seconds: number): Promise<void> {
    this.visibility.push({ messageId: record.messageId, seconds });
  }
}

export class FixedDegradation implements DegradationReader {
  reads = 0;
  constructor(public level: DegradationLevel = 'normal') {}
  async read(): Promise<DegradationLevel> {
    this.reads += 1;
    return this.level;
  }
}

/** A controllable clock in epoch milliseconds. */
export class ManualClock {
  constructor(public time = Date.UTC(2026, 10, 25, 10, 0, 0)) {}
  readonly now = () => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

let nextId = 1000n;

export interface TestEnvelopeInput {
  id?: string;
  type?: string;
  producer?: string;
  seq?: number;
  key?: string;
  payload?: unknown;
}

export function testEnvelope(input: TestEnvelopeInput = {}): Record<string, unknown> {
  nextId += 1n;
  return {
    id: input.id ?? nextId.toString(),
    type: input.type ?? 'points.deduct',
    producer: input.producer ?? '7-1',
    seq: input.seq ?? Number(nextId % 100000n) + 1,
    key: input.key ?? 'account-1',
    occurredAt: '2026-11-25T10:00:00.000Z',
    payload: input.payload ?? { accountId: 'account-1', amount: 10, orderId: `order-${nextId}` },
  };
}

export interface TestRecordInput {
  body: string;
  messageId?: string;
  receiveCount?: number;
  groupId?: string;
  /** FIFO only. @default a fresh one per record */
  deduplicationId?: string;
  queueName?: string;
  messageAttributes?: SQSRecord['messageAttributes'];
}

let nextMessage = 0;

/** An SQS record shaped as Lambda delivers it. */
export function sqsRecord(input: TestRecordInput): SQSRecord {
  nextMessage += 1;
  const queueName = input.queueName ?? 'points';
  return {
    messageId: input.messageId ?? `m-${nextMessage}`,
    receiptHandle: `rh-${nextMessage}`,
    body: input.body,
    attributes: {
      ApproximateReceiveCount: String(input.receiveCount ?? 1),
      SentTimestamp: '1764064800000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1764064800000',
      ...(input.groupId === undefined
        ? {}
        : {
            MessageGroupId: input.groupId,
            MessageDeduplicationId: input.deduplicationId ?? `d-${nextMessage}`,
            SequenceNumber: '1',
          }),
    },
    messageAttributes: input.messageAttributes ?? {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): { Records: SQSRecord[] } {
  return { Records: records };
}

/**
 * The points handler with its claim in the claims table (no `claimOn`): the per-message state
 * machine these fakes model. Batch commits with claims on business items are tested against the
 * local cloud (test/integration/consumer-batch-commit.test.ts).
 */
export function pointsHandlerWithClaimsTable(options?: Parameters<typeof pointsDeductHandler>[1]) {
  return withClaimsTable(pointsDeductHandler({ accountsTable: 'accounts', ledgerTable: 'ledger' }, options));
}

/** A handler without `claimOn`: its claims go to the claims table, one item per message. */
export function withClaimsTable<T extends { claimOn?: unknown }>(handler: T): Omit<T, 'claimOn'> {
  const { claimOn: _claimOn, ...rest } = handler;
  return rest;
}

/** A consumer wired to fresh fakes, with the points handler unless `handlers` says otherwise. */
export function fakeConsumer(options: Partial<ConsumerOptions> & { level?: DegradationLevel } = {}) {
  const clock = new ManualClock();
  const claims = new InMemoryClaimStore();
  const messages = new RecordingMessageActions();
  const telemetry = new RecordingTelemetry();
  const degradation = new FixedDegradation(options.level ?? 'normal');
  let token = 0;
  const handler = createConsumer({
    handlers: [pointsHandlerWithClaimsTable()],
    claims,
    messages,
    telemetry,
    degradation,
    now: clock.now,
    random: () => 0.5,
    newOwnerToken: () => `owner-${++token}`,
    ...options,
  });
  return { handler, clock, claims, messages, telemetry, degradation };
}
