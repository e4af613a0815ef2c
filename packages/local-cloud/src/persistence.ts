/**
 * `--data-dir`: nothing is acknowledged before it is durable. A write-ahead log with group commit,
 * compacted into snapshots (docs/local-cloud-durability.md has the guarantee, the format and the cost).
 *
 * - SQS and DynamoDB record the effect of every change as they make it (`LocalService.journaled`):
 *   a message sent with its id and receipt state, an item written, a table defined...
 * - Other services (Lambda, EventBridge, SNS, CloudWatch's alarms and dashboards) are small and
 *   change rarely: their whole state is logged whenever it differs from what was logged last,
 *   checked after each of their requests and every `intervalMs` (changes made in process, such as a
 *   template deploy or an alarm changing state).
 * - The server awaits `settle` before it sends any response, so every response - a write's
 *   acknowledgement, but also a read that saw a write still being logged - leaves only after what it
 *   depends on is on disk.
 * - The log is compacted into a new snapshot once it outgrows the last one, on `flush` and on stop;
 *   recovery loads the newest intact snapshot (falling back to the one before it) and replays the
 *   logs after it, ignoring a torn last frame.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeSnapshot,
  LEGACY_STATE_FILE,
  logName,
  readLegacyState,
  readSnapshot,
  removeFiles,
  type Snapshot,
  scanDataDir,
  setAside,
  snapshotName,
  writeFileAtomically,
} from './persistence/data-files.js';
import { decodeLog } from './persistence/frames.js';
import { WriteAheadLog } from './persistence/write-ahead-log.js';
import { AwsError, type JournalEntry, type LocalService } from './protocol.js';

export interface PersistenceOptions {
  /** How often watched state is compared and compaction considered, in milliseconds. @default 500 */
  readonly intervalMs?: number;
  /** The log is compacted once it holds more than max(this, twice the last snapshot) bytes. @default 16 MiB */
  readonly compactAfterBytes?: number;
  /** Where recovery reports what it repaired. @default console.error */
  readonly warn?: (message: string) => void;
}

/** What the last start found and did. */
export interface RecoveryReport {
  /** The snapshot file recovery started from; undefined for an empty directory or a state.json. */
  readonly snapshot: string | undefined;
  /** Log files replayed on top of it, oldest first. */
  readonly logs: readonly string[];
  /** Records replayed. */
  readonly records: number;
  /** Repairs: removed temporary files, torn log tails ignored, damaged snapshots set aside. */
  readonly warnings: readonly string[];
}

const DEFAULT_COMPACT_AFTER_BYTES = 16 * 1024 * 1024;

export class StatePersistence {
  private wal: WriteAheadLog | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** JSON of each watched state as last logged (or as in the last snapshot). */
  private readonly captured = new Map<string, string>();
  private compacting: Promise<void> = Promise.resolve();
  private compactionQueued = false;
  /** Generation of the newest snapshot written; the one before it is kept as a fallback. */
  private snapshotGeneration = 0;
  private lastSnapshotBytes = 0;
  private readonly warn: (message: string) => void;
  recovery: RecoveryReport | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly services: Record<string, LocalService>,
    private readonly options: PersistenceOptions = {},
  ) {
    this.warn = options.warn ?? ((message) => console.error(`local cloud: ${message}`));
  }

  /** Recovers the services' state from the directory, then starts a fresh log generation. */
  async load(): Promise<void> {
    const dir = this.dataDir;
    await mkdir(dir, { recursive: true });
    const files = await scanDataDir(dir);
    const warnings = files.removedTemporaries.map((name) => `removed ${name}, left by an interrupted write`);

    let base: Snapshot | undefined;
    const damaged: { generation: number; reason: string }[] = [];
    for (const generation of files.snapshots) {
      try {
        base = await readSnapshot(dir, generation);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code) throw error;
        damaged.push({ generation, reason: (error as Error).message });
      }
    }
    if (!base && files.snapshots.length > 0) {
      // Nothing is renamed: the next start must refuse just the same, not start empty.
      throw new Error(
        `${dir}: no intact snapshot to start from (${damaged.map((entry) => entry.reason).join('; ')}). ` +
          'Move the directory away to start empty.',
      );
    }
    for (const { generation, reason } of damaged) {
      const aside = await setAside(dir, snapshotName(generation));
      warnings.push(`${reason}; set aside as ${aside}, starting from ${snapshotName(base!.generation)}`);
    }
    if (!base && files.logs.length > 0) {
      throw new Error(
        `${dir}: log files (${files.logs.map(logName).join(', ')}) but no snapshot to replay them on. ` +
          'Move the directory away to start empty.',
      );
    }
    base ??= { generation: 0, services: files.legacy ? await readLegacyState(dir) : {} };

    // The logs after the base snapshot: consecutive generations starting with its own. Its own
    // may be absent (a crash after the snapshot was written, before its log was created: nothing
    // was logged in it); any other gap means a lost file.
    const chain = files.logs.filter((generation) => generation >= base.generation);
    let expected = chain[0] === base.generation + 1 ? base.generation + 1 : base.generation;
    for (const generation of chain) {
      if (generation !== expected) {
        throw new Error(
          `${join(dir, logName(expected))} is missing: ${snapshotName(base.generation)} ` +
            `cannot be brought up to date without it. Move the directory away to start empty.`,
        );
      }
      expected++;
    }
    const entries = new Map<string, JournalEntry[]>();
    const lastWatched = new Map<string, unknown>();
    let records = 0;
    for (const generation of chain) {
      const file = join(dir, logName(generation));
      const data = await readFile(file);
      const decoded = decodeLog(data);
      if (decoded.damage) {
        warnings.push(
          `${file}: ${decoded.damage}; ignored its last ${data.length - decoded.validBytes} bytes ` +
            '(a write interrupted by a crash, never acknowledged)',
        );
      }
      for (const line of decoded.lines) {
        let parsed: { s: string; r?: unknown; w?: unknown };
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new Error(`${file}: an intact frame holds an unreadable record: ${line.slice(0, 80)}`);
        }
        records++;
        const service = Object.hasOwn(this.services, parsed.s) ? this.services[parsed.s] : undefined;
        if (!service) continue;
        if (service.journaled) {
          const list = entries.get(parsed.s) ?? [];
          entries.set(parsed.s, list);
          list.push(parsed.r !== undefined ? { record: parsed.r } : { watched: parsed.w });
        } else lastWatched.set(parsed.s, parsed.w);
      }
    }

    for (const [key, service] of Object.entries(this.services)) {
      const saved = Object.hasOwn(base.services, key) ? base.services[key] : undefined;
      if (service.journaled) {
        const list = entries.get(key) ?? [];
        if (saved !== undefined || list.length > 0) service.journaled.recover(saved, list);
      } else {
        const state = lastWatched.has(key) ? lastWatched.get(key) : saved;
        if (state !== undefined) service.restore?.(state);
      }
    }

    // A fresh generation, so the log written from now on never follows a torn frame.
    // Journals are attached in the same synchronous run as the snapshot is taken, so a change a
    // timer makes meanwhile is logged; the log file itself appears only once the snapshot is durable.
    const generation = Math.max(base.generation, ...files.snapshots, ...files.logs) + 1;
    const snapshot = encodeSnapshot(generation, this.serialize());
    const written = writeFileAtomically(dir, snapshotName(generation), snapshot);
    this.wal = new WriteAheadLog(dir, generation, written);
    this.attach();
    await written;
    this.snapshotGeneration = generation;
    this.lastSnapshotBytes = snapshot.length;
    await this.wal.reached(generation);
    await this.removeGenerationsBelow(base.generation);
    if (files.legacy && files.snapshots.length === 0) await removeFiles(dir, [LEGACY_STATE_FILE]);

    for (const warning of warnings) this.warn(warning);
    this.recovery = {
      snapshot: base.generation > 0 ? snapshotName(base.generation) : undefined,
      logs: chain.map(logName),
      records,
      warnings,
    };
  }

  /** Starts the periodic capture of watched state and the compaction check. */
  start(): void {
    const interval = this.options.intervalMs ?? 500;
    this.timer = setInterval(() => this.tick(), interval);
    this.timer.unref();
  }

  /**
   * Called after a request to `service` was handled and before its response is sent: logs the
   * service's watched state if it changed, then waits until everything logged so far is on disk.
   */
  async settle(service: string): Promise<void> {
    if (!this.wal) return;
    const journaled = Object.hasOwn(this.services, service) ? this.services[service]?.journaled : undefined;
    if (!journaled || journaled.watchedState) this.capture(service);
    try {
      await this.wal.sync();
    } catch (error) {
      throw new AwsError('InternalFailure', (error as Error).message, 500);
    }
  }

  /** Writes a snapshot now and starts a new log generation (also done when the log grows, and on stop). */
  flush(): Promise<void> {
    return this.compact();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (!this.wal) return;
    await this.compact();
    await this.wal.close();
  }

  private attach(): void {
    const wal = this.wal!;
    for (const [key, service] of Object.entries(this.services)) {
      if (service.journaled) {
        const prefix = `{"s":${JSON.stringify(key)},"r":`;
        service.journaled.attachJournal({
          record: (entry) => wal.append(`${prefix}${JSON.stringify(entry)}}`),
        });
      }
      const state = this.watchedState(service);
      if (state !== undefined) this.captured.set(key, JSON.stringify(state));
    }
  }

  private watchedState(service: LocalService): unknown {
    return service.journaled ? service.journaled.watchedState?.() : service.snapshot?.();
  }

  /** Logs a service's watched state if it differs from what was logged last. */
  private capture(key: string): void {
    const service = this.services[key];
    if (!service || !this.wal) return;
    let text: string;
    try {
      const state = this.watchedState(service);
      if (state === undefined) return;
      text = JSON.stringify(state);
    } catch (error) {
      this.warn(`could not serialise the state of ${key}: ${(error as Error).message}`);
      return;
    }
    if (this.captured.get(key) === text) return;
    this.captured.set(key, text);
    this.wal.append(`{"s":${JSON.stringify(key)},"w":${text}}`);
  }

  private tick(): void {
    for (const key of Object.keys(this.services)) this.capture(key);
    const threshold = Math.max(
      this.options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES,
      2 * this.lastSnapshotBytes,
    );
    if (this.wal && this.wal.bytes > threshold && !this.compactionQueued) {
      this.compact().catch((error: unknown) => this.warn(`compaction failed: ${(error as Error).message}`));
    }
  }

  /**
   * Snapshot and log rotation happen in one synchronous run, so the snapshot holds exactly the
   * effects of the records before the new generation; the logs stay authoritative until the
   * snapshot is durable, and the previous snapshot with its logs is kept as a fallback.
   */
  private compact(): Promise<void> {
    this.compactionQueued = true;
    const run = async () => {
      this.compactionQueued = false;
      const wal = this.wal;
      if (!wal) return;
      // Recreated if someone removed it while the cloud ran: the snapshot then holds everything.
      await mkdir(this.dataDir, { recursive: true });
      for (const key of Object.keys(this.services)) this.capture(key);
      const generation = wal.generation + 1;
      const snapshot = encodeSnapshot(generation, this.serialize());
      wal.rotate(generation);
      await writeFileAtomically(this.dataDir, snapshotName(generation), snapshot);
      const previous = this.snapshotGeneration;
      this.snapshotGeneration = generation;
      this.lastSnapshotBytes = snapshot.length;
      await wal.reached(generation);
      await this.removeGenerationsBelow(previous);
    };
    this.compacting = this.compacting.then(run, run);
    return this.compacting;
  }

  /** Every service's snapshot as one JSON object text. */
  private serialize(): string {
    const services: Record<string, unknown> = {};
    for (const [key, service] of Object.entries(this.services)) {
      if (service.snapshot) services[key] = service.snapshot();
    }
    return JSON.stringify(services);
  }

  private async removeGenerationsBelow(generation: number): Promise<void> {
    const files = await scanDataDir(this.dataDir);
    await removeFiles(this.dataDir, [
      ...files.snapshots.filter((other) => other < generation).map(snapshotName),
      ...files.logs.filter((other) => other < generation).map(logName),
    ]);
  }
}
