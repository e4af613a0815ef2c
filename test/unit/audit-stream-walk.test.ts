import { describe, expect, it } from 'vitest';
import { confirmedSeq, type StreamClaim } from '../../packages/runtime/src/core/audit/audit-model.js';
import { classify } from '../../packages/runtime/src/core/audit/classify.js';
import {
  contiguousRanges,
  initialCheckpoint,
  walkStream,
} from '../../packages/runtime/src/core/audit/stream-walk.js';

const NOW = 1_000_000_000;
const claim = (seq: number, claimedAt = NOW - 60_000, status: StreamClaim['status'] = 'COMPLETED') => ({
  seq,
  id: `id-${seq}`,
  status,
  claimedAt,
});
/** A stream closed by release: its high-water mark is exact. */
const stream = (highWater: number, closed = false, voided: number[] = []) => ({
  producer: 'p1',
  highWater,
  closed,
  exactHighWater: true,
  voided,
});
/** A live stream: its high-water mark is a reservation. */
const live = (highWater: number) => ({ ...stream(highWater), exactHighWater: false });
const base = {
  openClaims: [],
  newClaimsComplete: true,
  now: NOW,
  graceMs: 30_000,
  maxOpen: 100,
};

describe('walkStream', () => {
  it('advances the checkpoint over contiguous consumed claims and reports nothing overdue', () => {
    const result = walkStream({
      ...base,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(3),
      newClaims: [claim(1), claim(2), claim(3)],
    });
    expect(result.checkpoint.scannedSeq).toBe(3);
    expect(confirmedSeq(result.checkpoint)).toBe(3);
    expect(result.overdue).toEqual([]);
    expect(result.pending).toBe(0);
  });

  it('reports an interior gap aged by the next claim, but only past the grace period', () => {
    const old = walkStream({
      ...base,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(4),
      newClaims: [claim(1), claim(3, NOW - 60_000), claim(4)],
    });
    expect(old.overdue.map((entry) => entry.seq)).toEqual([2]);
    expect(confirmedSeq(old.checkpoint)).toBe(1);
    expect(old.checkpoint.scannedSeq).toBe(4);

    const young = walkStream({
      ...base,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(4),
      newClaims: [claim(1), claim(3, NOW - 1000), claim(4)],
    });
    expect(young.overdue).toEqual([]);
    expect(young.pending).toBe(1);
  });

  it('keeps in-progress claims open and reports them apart from gaps', () => {
    const result = walkStream({
      ...base,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(3),
      newClaims: [claim(1), claim(2, NOW - 60_000, 'IN_PROGRESS'), claim(3)],
    });
    expect(result.overdue).toEqual([]);
    expect(result.inProgress.map((entry) => entry.seq)).toEqual([2]);
    expect(confirmedSeq(result.checkpoint)).toBe(1);
  });

  it('detects tail loss only after the high-water mark has been seen for the grace period', () => {
    const first = walkStream({
      ...base,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(5),
      newClaims: [claim(1), claim(2), claim(3)],
    });
    expect(first.overdue).toEqual([]);
    expect(first.pending).toBe(2);
    expect(first.checkpoint.tail).toEqual([{ highWater: 5, at: NOW }]);

    const later = walkStream({
      ...base,
      now: NOW + 31_000,
      checkpoint: first.checkpoint,
      stream: stream(6),
      newClaims: [],
    });
    expect(later.overdue.map((entry) => entry.seq)).toEqual([4, 5]);
    expect(later.pending).toBe(1);
  });

  it('with no grace period, a tail gap is overdue in the first run', () => {
    const result = walkStream({
      ...base,
      graceMs: 0,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(4),
      newClaims: [claim(1), claim(2)],
    });
    expect(result.overdue.map((entry) => entry.seq)).toEqual([3, 4]);
  });

  it('treats the tail of a live stream as suspects only, since its mark is a reservation', () => {
    const result = walkStream({
      ...base,
      graceMs: 0,
      checkpoint: initialCheckpoint('p1'),
      stream: live(5),
      newClaims: [claim(1), claim(2), claim(4)],
    });
    expect(result.overdue.map((entry) => entry.seq)).toEqual([3]);
    expect(result.tailSuspects.map((entry) => entry.seq)).toEqual([5]);
    expect(result.checkpoint.scannedSeq).toBe(4);
  });

  it('never reports voided seqs, inside the stream or at its tail', () => {
    const result = walkStream({
      ...base,
      graceMs: 0,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(6, true, [2, 6]),
      newClaims: [claim(1), claim(3), claim(4), claim(5)],
    });
    expect(result.overdue).toEqual([]);
    expect(result.checkpoint.done).toBe(true);
  });

  it('does not judge the tail when the claims read were cut by the budget', () => {
    const result = walkStream({
      ...base,
      graceMs: 0,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(10),
      newClaims: [claim(1), claim(2)],
      newClaimsComplete: false,
    });
    expect(result.overdue).toEqual([]);
    expect(result.checkpoint.scannedSeq).toBe(2);
  });

  it('closes open seqs when their claims arrive later, reading only the open ones', () => {
    const first = walkStream({
      ...base,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(5),
      newClaims: [claim(1), claim(4), claim(5)],
    });
    expect(first.overdue.map((entry) => entry.seq)).toEqual([2, 3]);
    const second = walkStream({
      ...base,
      checkpoint: first.checkpoint,
      stream: stream(5),
      openClaims: [claim(2), claim(3)],
      newClaims: [],
    });
    expect(second.overdue).toEqual([]);
    expect(confirmedSeq(second.checkpoint)).toBe(5);
  });

  it('marks a closed stream done once confirmed up to its final high-water mark', () => {
    const result = walkStream({
      ...base,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(2, true),
      newClaims: [claim(1), claim(2)],
    });
    expect(result.checkpoint.done).toBe(true);
  });

  it('stops the walk rather than remember more open seqs than allowed', () => {
    const result = walkStream({
      ...base,
      maxOpen: 3,
      checkpoint: initialCheckpoint('p1'),
      stream: stream(100),
      newClaims: [claim(1), claim(100)],
    });
    expect(result.checkpoint.open).toHaveLength(3);
    expect(result.checkpoint.scannedSeq).toBe(4);
  });
});

describe('contiguousRanges', () => {
  it('groups seqs into ascending ranges', () => {
    expect(contiguousRanges([7, 2, 3, 4, 9, 8, 12])).toEqual([
      [2, 4],
      [7, 9],
      [12, 12],
    ]);
  });
});

describe('classify', () => {
  const seenNothing = { seen: new Set<string>(), complete: true, retentionMs: 86_400_000 };
  const evidence = {
    since: NOW - 60_000,
    now: NOW,
    outbox: undefined,
    seenInSource: false,
    seenInDeadLetter: false,
    source: seenNothing,
    deadLetter: seenNothing,
  };

  it('calls a message missing only when every place it could be was ruled out', () => {
    expect(classify(evidence)).toBe('missing');
    expect(classify({ ...evidence, seenInDeadLetter: true })).toBe('dead-lettered');
    expect(classify({ ...evidence, seenInSource: true })).toBe('queued');
    expect(classify({ ...evidence, source: { ...seenNothing, complete: false } })).toBe('in-flight');
  });

  it('treats an outbox item still pending as unsent, and a completed one as consumed', () => {
    const envelope = {
      id: '1',
      type: 't',
      producer: 'p1',
      seq: 1,
      key: 'k',
      occurredAt: new Date(NOW).toISOString(),
      payload: {},
    };
    expect(classify({ ...evidence, outbox: { envelope, status: 'PENDING' } })).toBe('unsent');
    expect(classify({ ...evidence, outbox: { envelope, status: 'COMPLETED' } })).toBe('consumed');
    expect(classify({ ...evidence, outbox: { envelope, status: 'SENT' } })).toBe('missing');
  });

  it('rules out an unseen queue once the message is older than its retention period', () => {
    const partial = { ...seenNothing, complete: false, retentionMs: 30_000 };
    expect(classify({ ...evidence, source: partial })).toBe('missing');
  });
});
