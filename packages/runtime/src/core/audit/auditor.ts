/**
 * One audit run over every producer stream: walk new claims, classify what is overdue, compensate
 * what is truly missing, save checkpoints, store the report and publish metrics.
 *
 * Cost per run: one index Query page per stream for the claims above its checkpoint (plus one per
 * contiguous range of still-open seqs). Queues and the outbox are only read when something is
 * overdue, so a healthy pipeline never peeks at its queues.
 */

import { AUDIT_METRICS, PIPELINE_METRICS } from '../pipeline-metrics.js';
import type { Telemetry } from '../telemetry.js';
import {
  type AuditFinding,
  type AuditReport,
  type AuditStore,
  CLASSIFICATIONS,
  type Classification,
  confirmedSeq,
  type OpenSeq,
  type ProducerStream,
  type QueueInspector,
  type QueueSighting,
  type Republisher,
  type StreamAuditSummary,
  type StreamCheckpoint,
  type StreamSeqKey,
  streamSeqKey,
} from './audit-model.js';
import { classify } from './classify.js';
import { contiguousRanges, initialCheckpoint, type StreamWalkResult, walkStream } from './stream-walk.js';

/** How one audit run looks. */
export interface AuditOptions {
  /** Unconfirmed messages younger than this are normal (in transit, reordered). @default 300 */
  readonly graceSeconds?: number;
  /** Re-publish truly missing messages from the outbox. @default false */
  readonly compensate?: boolean;
  /** Re-publish attempts per message before giving up (CompensationExhausted). @default 3 */
  readonly maxAttempts?: number;
  /** Re-walk every stream from this seq instead of its checkpoint (0 = the whole history). */
  readonly fromSeq?: number;
  /** Claims read per stream and run; the rest waits for the next run. @default 10000 */
  readonly maxClaimsPerStream?: number;
  /** Open seqs remembered per stream. @default 2000 */
  readonly maxOpenPerStream?: number;
  /** Findings kept in the report. @default 200 */
  readonly maxFindings?: number;
}

/** The ports an audit reads and acts through; `createAuditDependencies` builds them on AWS. */
export interface AuditDependencies {
  readonly store: AuditStore;
  /** Without an inspector no queue can be ruled out, so nothing is ever classified `missing`. */
  readonly inspector?: QueueInspector;
  /** Needed for `compensate`. */
  readonly republisher?: Republisher;
  /**
   * Where each run's counts go (MessagesMissing and its companions), one value per run, zero
   * included, so the MessagesMissing alarm sees a datapoint every run. @default none
   */
  readonly telemetry?: Telemetry;
  /** Epoch ms. */
  readonly now: () => number;
  /** Progress lines for people (the CLI prints them on stderr). */
  readonly progress?: (message: string) => void;
}

/** Retention assumed for a queue the auditor cannot inspect: the SQS maximum, 14 days. */
const UNINSPECTED: QueueSighting = { seen: new Set(), complete: false, retentionMs: 14 * 86_400_000 };

interface StreamWork {
  readonly stream: ProducerStream;
  readonly storedVersion: number | undefined;
  readonly walk: StreamWalkResult;
  readonly claimsRead: number;
}

/**
 * Audits every producer stream once: walks the claims above each checkpoint, classifies what is overdue, re-publishes what is missing (with `compensate`), saves checkpoints and the report.
 *
 * @example
 * const report = await runAudit(createAuditDependencies(clients, resources), { graceSeconds: 300, compensate: true });
 * console.log(report.counts.missing);
 */
export async function runAudit(deps: AuditDependencies, options: AuditOptions = {}): Promise<AuditReport> {
  const graceSeconds = options.graceSeconds ?? 300;
  const maxAttempts = options.maxAttempts ?? 3;
  const maxClaims = options.maxClaimsPerStream ?? 10_000;
  const maxOpen = options.maxOpenPerStream ?? 2000;
  const startedAt = deps.now();
  const progress = deps.progress ?? (() => {});

  const streams = await discoverStreams(deps.store);
  progress(`auditing ${streams.length} producer stream(s)`);
  const work: StreamWork[] = [];
  for (const stream of streams) {
    const stored = await deps.store.loadCheckpoint(stream.producer);
    if (stored?.done && options.fromSeq === undefined) continue;
    const base =
      options.fromSeq === undefined || !stored
        ? (stored ?? initialCheckpoint(stream.producer, options.fromSeq ?? 0))
        : { ...initialCheckpoint(stream.producer, options.fromSeq), version: stored.version };
    const openClaims = [];
    for (const [from, to] of contiguousRanges(base.open.map((entry) => entry.seq))) {
      openClaims.push(...(await deps.store.claimsBetween(stream.producer, from, to)));
    }
    const newClaims = await deps.store.claimsAfter(stream.producer, base.scannedSeq, maxClaims + 1);
    const walk = walkStream({
      checkpoint: base,
      stream,
      openClaims,
      newClaims: newClaims.slice(0, maxClaims),
      newClaimsComplete: newClaims.length <= maxClaims,
      now: deps.now(),
      graceMs: graceSeconds * 1000,
      maxOpen,
    });
    work.push({
      stream,
      storedVersion: stored?.version,
      walk,
      claimsRead: openClaims.length + newClaims.length,
    });
    progress(
      `  ${stream.producer}: ${newClaims.length} new claim(s), ${walk.overdue.length} overdue, ` +
        `${walk.inProgress.length} in progress`,
    );
  }

  // Only now, and only if something is overdue, look at the outbox and the queues.
  const candidates = new Set<StreamSeqKey>();
  for (const { stream, walk } of work) {
    for (const entry of [...walk.overdue, ...walk.tailSuspects])
      candidates.add(streamSeqKey(stream.producer, entry.seq));
  }
  const outbox = candidates.size > 0 ? await deps.store.findOutbox(candidates) : new Map();
  // A suspect from a reserved (not exact) tail is overdue only if the outbox proves it was stamped.
  const stampedSuspects = new Map<string, OpenSeq[]>();
  const wanted = new Set<StreamSeqKey>();
  for (const { stream, walk } of work) {
    const stamped = walk.tailSuspects.filter((entry) => outbox.has(streamSeqKey(stream.producer, entry.seq)));
    stampedSuspects.set(stream.producer, stamped);
    for (const entry of [...walk.overdue, ...stamped]) wanted.add(streamSeqKey(stream.producer, entry.seq));
  }
  let deadLetter = UNINSPECTED;
  let source = UNINSPECTED;
  if (wanted.size > 0 && deps.inspector) {
    progress(`peeking at the queues for ${wanted.size} overdue message(s)`);
    deadLetter = await deps.inspector.sight('dead-letter', wanted);
    const stillWanted = new Set([...wanted].filter((key) => !deadLetter.seen.has(key)));
    source = stillWanted.size > 0 ? await deps.inspector.sight('source', stillWanted) : source;
  }

  const counts = Object.fromEntries(CLASSIFICATIONS.map((name) => [name, 0])) as Record<
    Classification,
    number
  >;
  const findings: AuditFinding[] = [];
  let republished = 0;
  let exhausted = 0;
  let unrecoverable = 0;
  const summaries: StreamAuditSummary[] = [];
  for (const { stream, storedVersion, walk, claimsRead } of work) {
    const now = deps.now();
    const updates = new Map<number, OpenSeq | null>();
    for (const entry of walk.inProgress) {
      counts['in-flight'] += 1;
      findings.push({ producer: stream.producer, seq: entry.seq, classification: 'in-flight' });
    }
    const stamped = stampedSuspects.get(stream.producer) ?? [];
    for (const entry of [...walk.overdue, ...stamped]) {
      const key = streamSeqKey(stream.producer, entry.seq);
      const record = outbox.get(key);
      const classification = classify({
        since: entry.since,
        now,
        outbox: record,
        seenInSource: source.seen.has(key),
        seenInDeadLetter: deadLetter.seen.has(key),
        source,
        deadLetter,
      });
      if (classification === 'consumed') {
        updates.set(entry.seq, null);
        continue;
      }
      counts[classification] += 1;
      const finding: AuditFinding = {
        producer: stream.producer,
        seq: entry.seq,
        classification,
        ...(record ? { id: record.envelope.id } : {}),
      };
      if (classification !== 'missing') {
        findings.push(finding);
        continue;
      }
      let compensation: AuditFinding['compensation'] = 'skipped';
      if (!record) {
        compensation = 'unrecoverable';
        unrecoverable += 1;
      } else if (entry.attempts >= maxAttempts) {
        compensation = 'exhausted';
        exhausted += 1;
      } else if (options.compensate && deps.republisher) {
        try {
          await deps.republisher.republish(record.envelope, entry.attempts + 1);
          compensation = 'republished';
          republished += 1;
          // The re-published copy gets a fresh grace period before it can be overdue again.
          updates.set(entry.seq, { seq: entry.seq, since: now, attempts: entry.attempts + 1 });
        } catch (error) {
          progress(`  re-publish of ${key} failed: ${(error as Error).message}`);
          updates.set(entry.seq, { ...entry, attempts: entry.attempts + 1 });
        }
      }
      findings.push({ ...finding, compensation });
    }

    const next = applyUpdates(stream, walk, stamped, updates, storedVersion);
    const saved = await deps.store.saveCheckpoint(next, storedVersion);
    summaries.push({
      producer: stream.producer,
      confirmedSeq: confirmedSeq(saved ? next : walk.checkpoint),
      highWater: stream.highWater,
      claimsRead,
      pending: walk.pending,
      ...(saved ? {} : { conflicted: true }),
    });
  }

  const maxFindings = options.maxFindings ?? 200;
  const report: AuditReport = {
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(deps.now()).toISOString(),
    graceSeconds,
    counts,
    republished,
    compensationExhausted: exhausted,
    unrecoverable,
    streams: summaries,
    findings: findings.slice(0, maxFindings),
    findingsTruncated: findings.length > maxFindings,
  };
  await deps.store.saveReport(report);
  if (deps.telemetry) recordAuditMetrics(deps.telemetry, report);
  return report;
}

function recordAuditMetrics(telemetry: Telemetry, report: AuditReport): void {
  const values: Array<[string, number]> = [
    [PIPELINE_METRICS.messagesMissing, report.counts.missing],
    [PIPELINE_METRICS.compensationExhausted, report.compensationExhausted],
    [AUDIT_METRICS.inFlight, report.counts['in-flight']],
    [AUDIT_METRICS.queued, report.counts.queued],
    [AUDIT_METRICS.deadLettered, report.counts['dead-lettered']],
    [AUDIT_METRICS.unsent, report.counts.unsent],
    [AUDIT_METRICS.republished, report.republished],
    [AUDIT_METRICS.unrecoverable, report.unrecoverable],
  ];
  for (const [metric, value] of values) telemetry.record(metric, value, 'Count');
  telemetry.flush();
}

/** Streams from the leases, plus checkpointed streams no lease mentions any more (not finished yet). */
async function discoverStreams(store: AuditStore): Promise<ProducerStream[]> {
  const byProducer = new Map<string, ProducerStream>();
  for (const stream of await store.listStreams()) {
    const known = byProducer.get(stream.producer);
    byProducer.set(
      stream.producer,
      known ? { ...stream, highWater: Math.max(known.highWater, stream.highWater) } : stream,
    );
  }
  for (const checkpoint of await store.listOpenCheckpoints()) {
    if (byProducer.has(checkpoint.producer)) continue;
    const highWater = Math.max(checkpoint.scannedSeq, ...checkpoint.tail.map((entry) => entry.highWater));
    // No lease remembers it any more: its mark is the last one seen, not known to be exact.
    byProducer.set(checkpoint.producer, {
      producer: checkpoint.producer,
      highWater,
      closed: true,
      exactHighWater: false,
      voided: [],
    });
  }
  return [...byProducer.values()].sort((a, b) => a.producer.localeCompare(b.producer));
}

function applyUpdates(
  stream: ProducerStream,
  walk: StreamWalkResult,
  stamped: readonly OpenSeq[],
  updates: ReadonlyMap<number, OpenSeq | null>,
  storedVersion: number | undefined,
): StreamCheckpoint {
  const { checkpoint } = walk;
  const open: OpenSeq[] = [];
  for (const entry of [...checkpoint.open, ...stamped]) {
    const update = updates.get(entry.seq);
    if (update === null) continue;
    open.push(update ?? entry);
  }
  open.sort((a, b) => a.seq - b.seq);
  // A closed stream whose mark was only a reservation is done once its settled tail held nothing
  // that was ever stamped.
  const done =
    checkpoint.done ||
    (stream.closed &&
      open.length === 0 &&
      (stream.exactHighWater
        ? checkpoint.tail.length === 0 && checkpoint.scannedSeq >= stream.highWater
        : walk.tailSettled && stamped.length === 0));
  return { ...checkpoint, open, done, version: (storedVersion ?? 0) + 1 };
}
