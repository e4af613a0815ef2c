import type { SQSRecord } from 'aws-lambda';
import { mapWithConcurrency } from './concurrency.js';
import { behindFailure, holdsGroupBack, type RecordOutcome } from './record-outcome.js';

/** True for records from a FIFO queue (its ARN ends in `.fifo`). */
export function isFifoRecord(record: Pick<SQSRecord, 'eventSourceARN'>): boolean {
  return record.eventSourceARN.endsWith('.fifo');
}

/**
 * Processes several records together (batch commits): one outcome per record, in order. `ordered`
 * (one FIFO group): after a failure the rest fails with it.
 */
export type RunProcessor = (records: readonly SQSRecord[], ordered: boolean) => Promise<RecordOutcome[]>;

/**
 * Processes a batch and returns one outcome per record, in order. With `processRun`, a standard
 * queue's batch is one run and each FIFO group is one run.
 * - Standard queues: records run concurrently, at most `concurrency` at a time.
 * - FIFO queues: each message group runs in order; groups run concurrently (same bound). After a
 *   failure the rest of that group is not processed and fails with it, so ordering holds on the
 *   retry, while other groups go on. A poison message left for the redrive policy is no such
 *   failure: it will never be applied, so the rest of its group goes on.
 */
export async function runBatch(
  records: readonly SQSRecord[],
  concurrency: number,
  process: (record: SQSRecord) => Promise<RecordOutcome>,
  processRun?: RunProcessor,
): Promise<RecordOutcome[]> {
  if (records.length === 0) return [];
  if (!records.every(isFifoRecord))
    return processRun
      ? processRun(records, false)
      : mapWithConcurrency(records, concurrency, (record) => process(record));

  const groups = new Map<string, number[]>();
  records.forEach((record, index) => {
    const group = record.attributes?.MessageGroupId ?? '';
    const indexes = groups.get(group);
    if (indexes) indexes.push(index);
    else groups.set(group, [index]);
  });
  const outcomes = new Array<RecordOutcome>(records.length);
  await mapWithConcurrency([...groups.values()], concurrency, async (indexes) => {
    if (processRun) {
      const results = await processRun(
        indexes.map((index) => records[index] as SQSRecord),
        true,
      );
      indexes.forEach((index, position) => {
        outcomes[index] = results[position] as RecordOutcome;
      });
      return;
    }
    let failure: RecordOutcome | undefined;
    for (const index of indexes) {
      if (failure) {
        outcomes[index] = behindFailure(failure);
        continue;
      }
      const outcome = await process(records[index] as SQSRecord);
      outcomes[index] = outcome;
      if (holdsGroupBack(outcome)) failure = outcome;
    }
  });
  return outcomes;
}
