/**
 * Worker-id leases on DynamoDB (LEASES table). One item per worker id, `pk = worker#<id>`:
 * `workerId, epoch, holder, leaseUntil, highWater, stream, acquiredAt`, plus three maps keyed by
 * producer stream id that keep the history the auditor needs:
 * - `closedStreams`: stream -> its final high-water mark;
 * - `closedBy`: stream -> `release` (exact: the last stamped number), `fenced` (exact: the
 *   fenced holder recorded its last stamped number) or `takeover` (the holder vanished; the mark
 *   is its last *reservation*, so the tail above the last delivered number may never have been
 *   stamped, and nothing in it was acknowledged to a caller in direct mode);
 * - `voided`: stream -> list of sequence numbers stamped but never to be delivered.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Lease, LeaseStore } from '../core/producer/ports.js';
import { LEASES, PARTITION_KEY, type StreamClosure } from '../core/tables.js';

/**
 * The producer's LeaseStore on the DynamoDB leases table (see the module comment for the item layout).
 *
 * @example
 * const keeper = new LeaseKeeper({ store: new DynamoDbLeaseStore(clients.documents, leasesTable) });
 */
export class DynamoDbLeaseStore implements LeaseStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async tryAcquire(
    workerId: number,
    holder: string,
    now: number,
    leaseMs: number,
  ): Promise<Lease | undefined> {
    const key = { [PARTITION_KEY]: LEASES.itemKey(workerId) };
    const { Item: current } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    if (current && Number(current.leaseUntil ?? 0) >= now) return undefined;
    const previousEpoch = Number(current?.epoch ?? 0);
    const epoch = previousEpoch + 1;
    const stream = streamId(workerId, epoch);
    const leaseUntil = now + leaseMs;
    // STREAM is a DynamoDB reserved word: the attribute is always written through a name placeholder.
    const names: Record<string, string> = { '#currentStream': 'stream' };
    const values: Record<string, unknown> = {
      ':workerId': workerId,
      ':epoch': epoch,
      ':holder': holder,
      ':leaseUntil': leaseUntil,
      ':zero': 0,
      ':stream': stream,
      ':now': now,
    };
    const sets = [
      'workerId = :workerId',
      'epoch = :epoch',
      'holder = :holder',
      'leaseUntil = :leaseUntil',
      'highWater = :zero',
      '#currentStream = :stream',
      'acquiredAt = :now',
    ];
    let condition: string;
    if (!current) {
      condition = `attribute_not_exists(${PARTITION_KEY})`;
      values[':empty'] = {};
      sets.push('closedStreams = :empty', 'closedBy = :empty', 'voided = :empty');
    } else {
      // Only if nobody renewed or took it since we read it: the epoch is the fencing token.
      condition = 'epoch = :previousEpoch AND leaseUntil < :now';
      values[':previousEpoch'] = previousEpoch;
      if (typeof current.stream === 'string') {
        // The previous holder vanished without releasing: close its stream at its last reservation.
        names['#old'] = current.stream;
        values[':oldHighWater'] = Number(current.highWater ?? 0);
        values[':takeover'] = 'takeover' satisfies StreamClosure;
        sets.push('closedStreams.#old = :oldHighWater', 'closedBy.#old = :takeover');
      }
    }
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined; // lost the race
      throw error;
    }
    return { workerId, epoch, holder, leaseUntil, highWater: 0, stream };
  }

  async extend(lease: Lease, leaseUntil: number, highWater: number): Promise<Lease | undefined> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: LEASES.itemKey(lease.workerId) },
          UpdateExpression: 'SET leaseUntil = :leaseUntil, highWater = :highWater',
          ConditionExpression: 'holder = :holder AND epoch = :epoch',
          ExpressionAttributeValues: {
            ':leaseUntil': leaseUntil,
            ':highWater': highWater,
            ':holder': lease.holder,
            ':epoch': lease.epoch,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
    return { ...lease, leaseUntil, highWater };
  }

  async release(lease: Lease, stampedHighWater: number, now: number): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: LEASES.itemKey(lease.workerId) },
          // leaseUntil 0 frees the worker id at once; the stream moves to the closed history.
          UpdateExpression:
            'SET leaseUntil = :zero, highWater = :stamped, releasedAt = :now, ' +
            'closedStreams.#stream = :stamped, closedBy.#stream = :release REMOVE holder, #currentStream',
          ConditionExpression: 'holder = :holder AND epoch = :epoch',
          ExpressionAttributeNames: { '#stream': lease.stream, '#currentStream': 'stream' },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':stamped': stampedHighWater,
            ':now': now,
            ':release': 'release' satisfies StreamClosure,
            ':holder': lease.holder,
            ':epoch': lease.epoch,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async closeStream(stream: string, stampedHighWater: number, _now: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: LEASES.itemKey(workerIdOf(stream)) },
          // Lowers the taker's recorded mark (our last reservation) to what we really stamped.
          UpdateExpression: 'SET closedStreams.#stream = :stamped, closedBy.#stream = :fenced',
          ConditionExpression: 'closedStreams.#stream >= :stamped',
          ExpressionAttributeNames: { '#stream': stream },
          ExpressionAttributeValues: {
            ':stamped': stampedHighWater,
            ':fenced': 'fenced' satisfies StreamClosure,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // already recorded exactly
      throw error;
    }
  }

  async voidSequences(stream: string, seqs: readonly number[], _reason: string): Promise<void> {
    if (seqs.length === 0) return;
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: LEASES.itemKey(workerIdOf(stream)) },
        UpdateExpression: 'SET voided.#stream = list_append(if_not_exists(voided.#stream, :none), :seqs)',
        ExpressionAttributeNames: { '#stream': stream },
        ExpressionAttributeValues: { ':none': [], ':seqs': [...seqs] },
      }),
    );
  }
}

/** `<workerId>-<epoch>`, the producer stream id. */
export function streamId(workerId: number, epoch: number): string {
  return `${workerId}-${epoch}`;
}

function workerIdOf(stream: string): number {
  const workerId = Number(stream.split('-')[0]);
  if (!Number.isInteger(workerId)) throw new TypeError(`Not a producer stream id: ${stream}`);
  return workerId;
}
