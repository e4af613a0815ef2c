/**
 * The write-ahead log with group commit. Services append records synchronously while they change
 * state; one writer takes everything appended since its last write, writes it as one frame and
 * fdatasyncs, then releases every request waiting on those records. Requests that arrive while a
 * write is in flight are batched into the next one, so one fsync serves many requests.
 *
 * The log is split into generations (wal-<generation>.log); `rotate` starts the next one for a
 * compaction. Generations are written strictly in order, so once a record is durable so is every
 * record appended before it - in whichever file.
 */
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { logName, syncDirectory } from './data-files.js';
import { encodeFrame, LOG_MAGIC } from './frames.js';

interface Segment {
  readonly generation: number;
  lines: string[];
}

interface Waiter {
  readonly sequence: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class WriteAheadLog {
  /** Appended, not yet written; one segment per generation, oldest first. */
  private readonly segments: Segment[];
  private appended = 0;
  private taken = 0;
  private durable = 0;
  private readonly waiters: Waiter[] = [];
  /** Woken whenever the writer opens a file, and when it stops or fails. */
  private progress: (() => void)[] = [];
  private writer: Promise<void> | undefined;
  private scheduled = false;
  private file: FileHandle | undefined;
  private fileGeneration = -1;
  private failure: Error | undefined;
  /** Set by close: records appended later (a timer firing during shutdown) are dropped. */
  private closed = false;
  /** Bytes written to the current generation's file, frames only. */
  private generationBytes = 0;
  private pendingBytes = 0;

  /**
   * Records appended before `ready` resolves are held in memory; the first file is created after
   * it (the snapshot the log continues from must be durable before the log exists).
   */
  constructor(
    private readonly dir: string,
    generation: number,
    private readonly ready: Promise<void> = Promise.resolve(),
  ) {
    this.segments = [{ generation, lines: [] }];
    this.schedule();
  }

  /** The generation new records go to. */
  get generation(): number {
    return this.segments.at(-1)!.generation;
  }

  /** Bytes of the current generation, written or waiting: what a compaction would drop. */
  get bytes(): number {
    return this.generationBytes + this.pendingBytes;
  }

  /** Records one JSON line; it becomes durable with the next write. */
  append(line: string): void {
    if (this.closed) return;
    this.segments.at(-1)!.lines.push(line);
    this.appended++;
    this.pendingBytes += line.length + 1;
    this.schedule();
  }

  /** Starts the next generation: records appended from now on go to its file. */
  rotate(generation: number): void {
    this.segments.push({ generation, lines: [] });
    this.pendingBytes = 0;
    this.generationBytes = 0;
    this.schedule();
  }

  /** Resolves once every record appended so far is on disk; rejects if the log cannot be written. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const sequence = this.appended;
    if (this.durable >= sequence) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ sequence, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Resolves once the writer has moved to `generation`: every older generation's records written
   * and its file complete (possible to delete once a newer snapshot holds its effects).
   */
  async reached(generation: number): Promise<void> {
    while (this.fileGeneration < generation) {
      if (this.failure) throw this.failure;
      this.schedule();
      await new Promise<void>((resolve) => this.progress.push(resolve));
    }
  }

  /** Resolves when nothing is pending: every record written, the current generation's file created. */
  async idle(): Promise<void> {
    while (this.scheduled || this.writer) {
      await (this.writer ?? new Promise<void>((resolve) => setImmediate(resolve)));
    }
    if (this.failure) throw this.failure;
  }

  /** Writes what is pending and closes the file. */
  async close(): Promise<void> {
    await this.idle().catch(() => undefined);
    this.closed = true;
    await this.file?.close();
    this.file = undefined;
  }

  /**
   * Starts the writer after the current synchronous run: records one operation appends together
   * (a transaction's items, a batch's messages) therefore always share a frame.
   */
  private schedule(): void {
    if (this.writer || this.scheduled || this.failure) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.writer) {
        this.writer = this.drain().finally(() => {
          this.writer = undefined;
          this.wake();
        });
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      await this.ready;
      for (;;) {
        const segment = this.segments[0]!;
        if (segment.generation !== this.fileGeneration) await this.openGeneration(segment.generation);
        const lines = segment.lines;
        if (lines.length > 0) {
          segment.lines = [];
          if (this.segments.length === 1) this.pendingBytes = 0;
          const frame = encodeFrame(lines);
          // The write only copies into the page cache: done in place, it saves the event loop a round
          // trip through the thread pool per commit; only the fdatasync waits for the disk.
          for (let written = 0; written < frame.length; ) {
            written += writeSync(this.file!.fd, frame, written, frame.length - written);
          }
          await this.file!.datasync();
          this.taken += lines.length;
          this.durable = this.taken;
          if (segment === this.segments.at(-1)) this.generationBytes += frame.length;
          this.release();
          continue;
        }
        if (this.segments.length > 1) {
          this.segments.shift();
          continue;
        }
        this.release();
        return;
      }
    } catch (error) {
      this.failure = new Error(
        `the local cloud could not write its log in ${this.dir}: ${(error as Error).message}`,
      );
      console.error(`local cloud: ${this.failure.message}; writes are no longer acknowledged`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    }
  }

  private release(): void {
    let kept = 0;
    for (const waiter of this.waiters) {
      if (waiter.sequence <= this.durable) waiter.resolve();
      else this.waiters[kept++] = waiter;
    }
    this.waiters.length = kept;
  }

  private async openGeneration(generation: number): Promise<void> {
    await this.file?.close();
    this.file = undefined;
    const handle = await open(join(this.dir, logName(generation)), 'w');
    await handle.write(LOG_MAGIC);
    await handle.datasync();
    await syncDirectory(this.dir);
    this.file = handle;
    this.fileGeneration = generation;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.progress.splice(0)) resolve();
  }
}
