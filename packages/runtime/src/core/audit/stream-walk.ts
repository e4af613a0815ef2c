/**
 * Gap finding for one producer stream: folds the claims read since the last run into the stream's
 * checkpoint and says which sequence numbers are overdue (unconfirmed past the grace period).
 *
 *   seq:   1 2 3 4 5 6 7 8 9 10 11 12          highWater = 12 (lease)
 *   claim: C C C . C C I . C  .                (C completed, I in progress, . none)
 *                                 ^ scannedSeq after the walk = 9
 *   open = {4, 7 (in progress), 8}; tail = 10..12, aged from when the auditor first saw highWater 12.
 *
 * A live stream's mark is a reservation (producers reserve seqs in blocks), so its tail seqs are
 * only suspects until an outbox item proves them stamped; a stream closed by release or fencing has
 * an exact final mark and its whole tail is judged. Voided seqs are never missing.
 *
 * Interior gaps age from the claim time of the next claimed message (a later message got through
 * at that moment), tail gaps from the first time the auditor saw the high-water mark cover them:
 * both are lower bounds on how long the message has been overdue, never overestimates.
 */
import type {
  OpenSeq,
  ProducerStream,
  StreamCheckpoint,
  StreamClaim,
  TailObservation,
} from './audit-model.js';

/** The checkpoint of a stream never audited; streams start at seq 1. */
export function initialCheckpoint(producer: string, scannedSeq = 0): StreamCheckpoint {
  return { producer, scannedSeq, open: [], tail: [], done: false, version: 0 };
}

/** A claim that proves the message was consumed (COMPLETED, REJECTED, or status not projected). */
export function isConsumed(claim: StreamClaim): boolean {
  return claim.status !== 'IN_PROGRESS';
}

export interface StreamWalkInput {
  readonly checkpoint: StreamCheckpoint;
  readonly stream: ProducerStream;
  /** Claims found for the checkpoint's open seqs. */
  readonly openClaims: readonly StreamClaim[];
  /** Claims with seq > checkpoint.scannedSeq, ascending. */
  readonly newClaims: readonly StreamClaim[];
  /** True when `newClaims` holds every claim above scannedSeq (not cut by the read budget). */
  readonly newClaimsComplete: boolean;
  readonly now: number;
  readonly graceMs: number;
  /** Most open seqs kept per stream; the walk stops early rather than exceed it. */
  readonly maxOpen: number;
}

export interface StreamWalkResult {
  /** The checkpoint after the walk, before classification (version unchanged). */
  readonly checkpoint: StreamCheckpoint;
  /** Open seqs past the grace period without a claim: to be classified. */
  readonly overdue: readonly OpenSeq[];
  /** Open seqs past the grace period held IN_PROGRESS by a consumer. */
  readonly inProgress: readonly OpenSeq[];
  /**
   * Tail seqs past the grace period of a stream whose high-water mark may be a mere reservation:
   * overdue only if an outbox item proves they were stamped. Not part of the checkpoint yet.
   */
  readonly tailSuspects: readonly OpenSeq[];
  /** True when the whole tail above the cursor is past the grace period (or there is none). */
  readonly tailSettled: boolean;
  /** Unconfirmed seqs still inside the grace period (open ones plus an exact mark's unaged tail). */
  readonly pending: number;
}

export function walkStream(input: StreamWalkInput): StreamWalkResult {
  const { checkpoint, stream, now, graceMs, maxOpen } = input;
  const voided = new Set(stream.voided);
  // A claim above the cursor may answer an open seq too (a tail suspect proven stamped earlier).
  const claimed = new Map([...input.openClaims, ...input.newClaims].map((claim) => [claim.seq, claim]));
  const inProgressSeqs = new Set<number>();
  const open: OpenSeq[] = [];
  for (const entry of checkpoint.open) {
    const claim = claimed.get(entry.seq);
    if (voided.has(entry.seq) || (claim && isConsumed(claim))) continue;
    if (claim) inProgressSeqs.add(entry.seq);
    open.push(entry);
  }
  const openSeqs = new Set(open.map((entry) => entry.seq));

  const tail = [...checkpoint.tail];
  const tailSince = (seq: number) => tail.find((observation) => observation.highWater >= seq)?.at;
  const overdueBy = (since: number) => since <= now - graceMs;

  let cursor = checkpoint.scannedSeq;
  walk: for (const claim of input.newClaims) {
    if (claim.seq <= cursor) continue;
    const evidence = claim.claimedAt ?? now;
    for (let seq = cursor + 1; seq < claim.seq; seq++) {
      if (voided.has(seq) || openSeqs.has(seq)) {
        cursor = seq;
        continue;
      }
      if (open.length >= maxOpen) break walk;
      open.push({ seq, since: Math.min(evidence, tailSince(seq) ?? evidence), attempts: 0 });
      cursor = seq;
    }
    if (!isConsumed(claim) && !openSeqs.has(claim.seq)) {
      if (open.length >= maxOpen) break;
      open.push({ seq: claim.seq, since: evidence, attempts: 0 });
      inProgressSeqs.add(claim.seq);
    }
    cursor = claim.seq;
  }

  // Tail: seqs up to the high-water mark no claim shows yet. Only judged when every claim above the
  // old cursor was read, otherwise an unread claim could be mistaken for tail loss.
  const walkedAll = input.newClaimsComplete && cursor >= (input.newClaims.at(-1)?.seq ?? cursor);
  const highWater = stream.highWater;
  const tailSuspects: OpenSeq[] = [];
  let tailSettled = true;
  if (walkedAll && highWater > cursor) {
    const last = tail.at(-1);
    if (!last || last.highWater < highWater) tail.push({ highWater, at: now });
    // Observations are appended in time order with growing marks, so later seqs are younger.
    tailSettled = overdueBy(tailSince(highWater) ?? now);
    if (stream.exactHighWater) {
      while (cursor < highWater && open.length < maxOpen) {
        const since = tailSince(cursor + 1) ?? now;
        if (!overdueBy(since)) break;
        cursor += 1;
        if (!voided.has(cursor) && !openSeqs.has(cursor)) open.push({ seq: cursor, since, attempts: 0 });
      }
    } else {
      for (let seq = cursor + 1; seq <= highWater && open.length + tailSuspects.length < maxOpen; seq++) {
        const since = tailSince(seq) ?? now;
        if (!overdueBy(since)) break;
        if (!voided.has(seq) && !openSeqs.has(seq)) tailSuspects.push({ seq, since, attempts: 0 });
      }
    }
  }
  const prunedTail: TailObservation[] = tail.filter((observation) => observation.highWater > cursor);

  open.sort((a, b) => a.seq - b.seq);
  const overdue: OpenSeq[] = [];
  const inProgress: OpenSeq[] = [];
  let pending = 0;
  if (walkedAll && stream.exactHighWater) {
    for (let seq = cursor + 1; seq <= highWater; seq++) if (!voided.has(seq)) pending += 1;
  }
  for (const entry of open) {
    if (!overdueBy(entry.since)) pending += 1;
    else if (inProgressSeqs.has(entry.seq)) inProgress.push(entry);
    else overdue.push(entry);
  }
  const done =
    stream.closed && stream.exactHighWater && walkedAll && open.length === 0 && cursor >= highWater;
  return {
    checkpoint: { ...checkpoint, scannedSeq: cursor, open, tail: prunedTail, done },
    overdue,
    inProgress,
    tailSuspects,
    tailSettled: walkedAll && tailSettled,
    pending,
  };
}

/** Groups seqs into contiguous ascending ranges, so re-checking open seqs costs one query per range. */
export function contiguousRanges(seqs: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const seq of sorted) {
    const last = ranges.at(-1);
    if (last && last[1] === seq - 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}
