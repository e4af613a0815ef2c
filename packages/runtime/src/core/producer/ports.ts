/**
 * What the producer core needs from the outside world, as ports. Adapters in packages/runtime/src/adapters
 * implement them over DynamoDB and SQS; unit tests implement them in memory.
 */
import type { ClaimStatus, OutboxStatus } from '../tables.js';
import type { TransactionWrite } from '../transaction-write.js';

/** A held worker-id lease. `stream` (`<workerId>-<epoch>`) is the producer stream id in envelopes. */
export interface Lease {
  readonly workerId: number;
  /** Increases on every acquisition of this worker id, so every holder gets a fresh stream. */
  readonly epoch: number;
  readonly holder: string;
  /** Epoch ms; after it anyone may take the worker id over. */
  readonly leaseUntil: number;
  /** Highest sequence number reserved (persisted) for this stream. */
  readonly highWater: number;
  readonly stream: string;
}

/** Persistence of worker-id leases and of the high-water marks of producer streams. */
export interface LeaseStore {
  /**
   * Takes `workerId` when it is free or its lease expired before `now`, starting a new stream
   * (epoch + 1, highWater 0) and closing the previous holder's stream with its last highWater.
   * Resolves undefined when someone else holds it (or won a race for it).
   */
  tryAcquire(workerId: number, holder: string, now: number, leaseMs: number): Promise<Lease | undefined>;
  /**
   * Extends the lease and raises its highWater (the heartbeat and the sequence reservation are one
   * conditional write). Resolves undefined when the lease is no longer this holder's (fenced).
   */
  extend(lease: Lease, leaseUntil: number, highWater: number): Promise<Lease | undefined>;
  /**
   * Gives the worker id back and closes the stream with its exact final high-water mark (the last
   * sequence number actually stamped), voiding the unused rest of the reservation.
   * Resolves false when the lease had already been taken over (then use `closeStream`).
   */
  release(lease: Lease, stampedHighWater: number, now: number): Promise<boolean>;
  /** Records the last stamped sequence number of a stream whose lease was lost (fenced holder). */
  closeStream(stream: string, stampedHighWater: number, now: number): Promise<void>;
  /** Records sequence numbers that were stamped but will never be delivered, with why. */
  voidSequences(stream: string, seqs: readonly number[], reason: string): Promise<void>;
}

/** Message attribute in a neutral form; adapters map it to the SDK's shape. */
export interface QueueMessageAttribute {
  readonly type: 'String' | 'Number';
  readonly value: string;
}

/** One message as SQS receives it. */
export interface QueueMessage {
  readonly body: string;
  /** FIFO only: the envelope key. */
  readonly groupId?: string;
  /** FIFO only: normally the envelope id. */
  readonly deduplicationId?: string;
  readonly attributes: Readonly<Record<string, QueueMessageAttribute>>;
  /** Body plus attributes in bytes, as SQS counts them against its size limit. */
  readonly sizeBytes: number;
}

/** Why one entry of a batch was not accepted. */
export interface BatchEntryFailure {
  /** Index into the batch that was sent. */
  readonly index: number;
  readonly code: string;
  /** True when SQS blames the request (retrying the same entry will not help). */
  readonly senderFault: boolean;
  readonly message?: string;
}

/** Sends up to ten messages in one request. Throws when the whole request fails. */
export interface Publisher {
  sendBatch(messages: readonly QueueMessage[]): Promise<readonly BatchEntryFailure[]>;
}

/** One outbox item, as stored (the envelope as a JSON string). */
export interface OutboxItem {
  /** Envelope id. */
  readonly id: string;
  readonly envelope: string;
  readonly status: OutboxStatus;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly sentAt?: number;
  /** PENDING: failed relay attempts; SENT: compensation re-publishes so far. */
  readonly attempts: number;
  /** Epoch ms before which no sweep touches the item again. */
  readonly nextAttemptAt: number;
  /** Epoch seconds (TTL). */
  readonly expiresAt: number;
  /** Claim outcome once the consumer acknowledged (COMPLETED or REJECTED). */
  readonly outcome?: string;
}

/**
 * A condition on one of the business writes failed, so nothing was committed.
 *
 * @example
 * try {
 *   await producer.transact([orderPut], [event]);
 * } catch (error) {
 *   if (error instanceof BusinessConditionFailedError) return { status: 'ALREADY_PLACED' };
 *   throw error;
 * }
 */
export class BusinessConditionFailedError extends Error {
  override readonly name = 'BusinessConditionFailedError';
  constructor(
    /** Index of the failed write in the `writes` passed to `commit`. */
    readonly index: number,
    /** The failed write's `rejectionReason`, when it has one. */
    readonly reason?: string,
  ) {
    super(
      `Business write ${index} failed its condition${reason ? ` (${reason})` : ''}; the transaction was cancelled`,
    );
  }
}

/** Fields a sweep changes on an outbox item, guarded by its current status. */
export interface OutboxUpdate {
  readonly status?: OutboxStatus;
  readonly attempts?: number;
  readonly nextAttemptAt?: number;
  readonly sentAt?: number;
  readonly outcome?: string;
}

/** The outbox table: business writes and outbox items committed together, and the sweeps' reads and updates. */
export interface OutboxStore {
  /** Commits business writes and outbox items atomically; BusinessConditionFailedError when a write's condition fails. */
  commit(writes: readonly TransactionWrite[], items: readonly OutboxItem[]): Promise<void>;
  /** Stores items outside a business transaction (direct mode's fallback and send log). */
  put(items: readonly OutboxItem[]): Promise<void>;
  /** Applies `update` if the item's status is still `from`; false when it is not. */
  update(id: string, from: OutboxStatus, update: OutboxUpdate): Promise<boolean>;
  /** Items in `status` created at or before `createdBefore`, oldest first. */
  listByStatus(status: OutboxStatus, createdBefore: number, limit: number): Promise<OutboxItem[]>;
  /** Items by envelope id (missing ones are left out). */
  get(ids: readonly string[]): Promise<OutboxItem[]>;
}

/** A message as compensation asks about it: its envelope id and stream position. */
export interface ClaimStatusQuery {
  readonly id: string;
  readonly producer: string;
  readonly seq: number;
}

/**
 * Reads the consumer's acknowledgement per envelope id (absent: never claimed): its claim, or its
 * entry in the consumption log (COMPLETED) when the claim rides on a business item.
 */
export interface ClaimStatusReader {
  statuses(messages: readonly ClaimStatusQuery[]): Promise<Map<string, ClaimStatus>>;
}

/** Time for the producer's asynchronous parts (leases, linger, backoff). */
export interface ProducerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock: Date.now and setTimeout. */
export const systemProducerClock: ProducerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
