import { describe, expect, it } from 'vitest';
import type {
  AuditReport,
  AuditStore,
  OutboxRecord,
  ProducerStream,
  QueueInspector,
  StreamCheckpoint,
  StreamClaim,
  StreamSeqKey,
} from '../../packages/runtime/src/core/audit/audit-model.js';
import { streamSeqKey } from '../../packages/runtime/src/core/audit/audit-model.js';
import { runAudit } from '../../packages/runtime/src/core/audit/auditor.js';
import type { Envelope } from '../../packages/runtime/src/core/envelope.js';

/** An in-memory AuditStore that counts the claims it serves (the cost of a run). */
class MemoryAuditStore implements AuditStore {
  streams: ProducerStream[] = [];
  claims: StreamClaim[] = [];
  producerOf = new Map<StreamClaim, string>();
  outbox = new Map<StreamSeqKey, OutboxRecord>();
  checkpoints = new Map<string, StreamCheckpoint>();
  report: AuditReport | undefined;
  claimsServed = 0;

  addClaim(producer: string, seq: number, claimedAt = 0): void {
    const claim: StreamClaim = { seq, id: `${producer}-${seq}`, status: 'COMPLETED', claimedAt };
    this.claims.push(claim);
    this.producerOf.set(claim, producer);
  }
  async listStreams() {
    return this.streams;
  }
  async listOpenCheckpoints() {
    return [...this.checkpoints.values()].filter((checkpoint) => !checkpoint.done);
  }
  async loadCheckpoint(producer: string) {
    return this.checkpoints.get(producer);
  }
  async saveCheckpoint(checkpoint: StreamCheckpoint, expected: number | undefined) {
    if (this.checkpoints.get(checkpoint.producer)?.version !== expected) return false;
    this.checkpoints.set(checkpoint.producer, checkpoint);
    return true;
  }
  private of(producer: string, keep: (seq: number) => boolean) {
    const found = this.claims
      .filter((claim) => this.producerOf.get(claim) === producer && keep(claim.seq))
      .sort((a, b) => a.seq - b.seq);
    return found;
  }
  async claimsAfter(producer: string, after: number, limit: number) {
    const found = this.of(producer, (seq) => seq > after).slice(0, limit);
    this.claimsServed += found.length;
    return found;
  }
  async claimsBetween(producer: string, from: number, to: number) {
    const found = this.of(producer, (seq) => seq >= from && seq <= to);
    this.claimsServed += found.length;
    return found;
  }
  async findOutbox(wanted: ReadonlySet<StreamSeqKey>) {
    return new Map([...this.outbox].filter(([key]) => wanted.has(key)));
  }
  async saveReport(report: AuditReport) {
    this.report = report;
  }
  async loadReport() {
    return this.report;
  }
}

const envelope = (producer: string, seq: number): Envelope => ({
  id: `${1000 + seq}`,
  type: 'points.deduct',
  producer,
  seq,
  key: 'account-1',
  occurredAt: new Date(0).toISOString(),
  payload: { amount: seq },
});

const emptyQueues: QueueInspector = {
  async sight() {
    return { seen: new Set(), complete: true, retentionMs: 86_400_000 };
  },
};

function setup(highWater: number, present: number[]) {
  const store = new MemoryAuditStore();
  store.streams = [{ producer: 'p1', highWater, closed: false, exactHighWater: false, voided: [] }];
  for (const seq of present) store.addClaim('p1', seq);
  for (let seq = 1; seq <= highWater; seq++)
    store.outbox.set(streamSeqKey('p1', seq), { envelope: envelope('p1', seq), status: 'SENT' });
  return store;
}

describe('runAudit', () => {
  it('reports exactly the missing seqs, interior and tail', async () => {
    const store = setup(6, [1, 2, 4, 5]);
    const report = await runAudit(
      { store, inspector: emptyQueues, now: () => 1_000_000 },
      { graceSeconds: 0 },
    );
    expect(report.counts.missing).toBe(2);
    expect(report.findings.map((finding) => finding.seq)).toEqual([3, 6]);
    expect(store.report).toEqual(report);
  });

  it('ignores reserved tail seqs of a live stream that were never stamped (no outbox item)', async () => {
    const store = setup(3, [1, 2, 3]);
    store.streams = [{ producer: 'p1', highWater: 100, closed: false, exactHighWater: false, voided: [] }];
    const report = await runAudit(
      { store, inspector: emptyQueues, now: () => 1_000_000 },
      { graceSeconds: 0 },
    );
    expect(report.counts.missing).toBe(0);
    expect(report.findings).toEqual([]);
  });

  it('never calls a message missing when the queues cannot be inspected', async () => {
    const store = setup(3, [1]);
    const report = await runAudit({ store, now: () => 1_000_000 }, { graceSeconds: 0 });
    expect(report.counts.missing).toBe(0);
    expect(report.counts['in-flight']).toBe(2);
  });

  it('classifies messages seen in the DLQ and the queue, and outbox-pending ones, as not lost', async () => {
    const store = setup(5, [1]);
    store.outbox.set(streamSeqKey('p1', 4), { envelope: envelope('p1', 4), status: 'PENDING' });
    const inspector: QueueInspector = {
      async sight(queue) {
        const seen = new Set([streamSeqKey('p1', queue === 'dead-letter' ? 2 : 3)]);
        return { seen, complete: true, retentionMs: 86_400_000 };
      },
    };
    const report = await runAudit({ store, inspector, now: () => 1_000_000 }, { graceSeconds: 0 });
    expect(report.counts).toEqual({ 'in-flight': 0, queued: 1, 'dead-lettered': 1, unsent: 1, missing: 1 });
  });

  it('re-publishes missing messages with their original envelope, then gives up after maxAttempts', async () => {
    const store = setup(3, [1, 3]);
    const sent: Envelope[] = [];
    let now = 1_000_000;
    const deps = {
      store,
      inspector: emptyQueues,
      republisher: { republish: async (env: Envelope) => void sent.push(env) },
      now: () => now,
    };
    const options = { graceSeconds: 10, compensate: true, maxAttempts: 2 };
    for (let run = 0; run < 3; run++) {
      now += 11_000;
      await runAudit(deps, options);
    }
    expect(sent).toEqual([envelope('p1', 2), envelope('p1', 2)]);
    now += 11_000;
    const report = await runAudit(deps, options);
    expect(report.compensationExhausted).toBe(1);
    expect(report.counts.missing).toBe(1);
  });

  it('reads only new claims on the next run (incremental checkpoint)', async () => {
    const store = setup(
      100,
      Array.from({ length: 100 }, (_, index) => index + 1),
    );
    await runAudit({ store, inspector: emptyQueues, now: () => 1_000_000 }, { graceSeconds: 0 });
    expect(store.claimsServed).toBe(100);
    store.streams = [{ producer: 'p1', highWater: 105, closed: false, exactHighWater: false, voided: [] }];
    for (let seq = 101; seq <= 105; seq++) store.addClaim('p1', seq);
    store.claimsServed = 0;
    const report = await runAudit(
      { store, inspector: emptyQueues, now: () => 1_000_000 },
      { graceSeconds: 0 },
    );
    expect(store.claimsServed).toBe(5);
    expect(report.streams[0]?.confirmedSeq).toBe(105);
  });

  it('skips a closed stream once it is confirmed complete', async () => {
    const store = setup(2, [1, 2]);
    store.streams = [{ producer: 'p1', highWater: 2, closed: true, exactHighWater: true, voided: [] }];
    await runAudit({ store, inspector: emptyQueues, now: () => 1 }, { graceSeconds: 0 });
    expect(store.checkpoints.get('p1')?.done).toBe(true);
    store.claimsServed = 0;
    const report = await runAudit({ store, inspector: emptyQueues, now: () => 1 }, { graceSeconds: 0 });
    expect(store.claimsServed).toBe(0);
    expect(report.streams).toEqual([]);
  });

  it('drops its progress instead of overwriting a checkpoint another auditor saved meanwhile', async () => {
    const store = setup(2, [1, 2]);
    const original = store.saveCheckpoint.bind(store);
    store.saveCheckpoint = async (checkpoint, expected) => {
      await original({ ...checkpoint, version: 99 }, expected);
      return original(checkpoint, expected);
    };
    const report = await runAudit({ store, inspector: emptyQueues, now: () => 1 }, { graceSeconds: 0 });
    expect(report.streams[0]?.conflicted).toBe(true);
  });
});
