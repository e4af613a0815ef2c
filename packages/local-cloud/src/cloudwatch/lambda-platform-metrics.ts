/**
 * AWS/Lambda metrics derived from a function's platform log lines (`START`, `REPORT`, the
 * `Invoke Error` line and `Task timed out`), which the local Lambda writes exactly as Lambda does.
 * This keeps CloudWatch independent of the Lambda emulator's internals: whatever runs functions
 * only has to print the lines. Throttles never reach a function, so they are reported directly
 * (`CloudWatchService.recordLambdaInvocation({ throttled: true })`).
 */

/** One finished (or throttled) invocation. */
export interface LambdaInvocationRecord {
  readonly functionName: string;
  /** Milliseconds the handler ran. */
  readonly durationMs: number;
  /** The function failed (threw, timed out, crashed). */
  readonly error?: boolean;
  /** The invocation was refused for lack of concurrency (it did not run). */
  readonly throttled?: boolean;
  /** Invocations of the function running at that moment, this one included. */
  readonly concurrentExecutions?: number;
  /** Milliseconds; the clock's now when absent. */
  readonly timestamp?: number;
}

const START = /^START RequestId: (\S+)/;
const REPORT = /^REPORT RequestId: (\S+)\s+Duration: ([\d.]+) ms/;
const INVOKE_ERROR = /^\S+\t(\S+)\tERROR\tInvoke Error/;
const TIMED_OUT = /^\S+\s+(\S+)\s+Task timed out after ([\d.]+) seconds/;
/** Forget request ids after this many, so a function that never prints REPORT cannot leak memory. */
const MAX_TRACKED = 10_000;

export class LambdaPlatformMetrics {
  /** Per function: request ids started and not yet reported, and whether each failed. */
  private readonly running = new Map<string, Map<string, { failed: boolean }>>();
  /** Request ids already counted through their timeout line, whose REPORT must not count again. */
  private readonly finished = new Set<string>();

  constructor(
    private readonly sink: {
      /** One finished invocation. */
      invocation(record: LambdaInvocationRecord): void;
      /** Invocations of a function running right now (sampled as each one starts). */
      concurrency(functionName: string, running: number): void;
    },
  ) {}

  /** Reads one log line of a function; returns true when it was a platform line. */
  line(functionName: string, text: string): boolean {
    let running = this.running.get(functionName);
    if (!running) {
      running = new Map();
      this.running.set(functionName, running);
    }
    let match = START.exec(text);
    if (match) {
      if (running.size >= MAX_TRACKED) running.clear();
      running.set(match[1]!, { failed: false });
      // A START only tells the concurrency; the invocation itself is counted at its REPORT.
      this.sink.concurrency(functionName, running.size);
      return true;
    }
    match = INVOKE_ERROR.exec(text);
    if (match) {
      const invocation = running.get(match[1]!);
      if (invocation) invocation.failed = true;
      return true;
    }
    match = TIMED_OUT.exec(text);
    if (match) {
      running.delete(match[1]!);
      this.remember(match[1]!);
      this.sink.invocation({ functionName, durationMs: Number(match[2]) * 1000, error: true });
      return true;
    }
    match = REPORT.exec(text);
    if (match) {
      const requestId = match[1]!;
      if (this.finished.has(requestId)) return true;
      const failed = running.get(requestId)?.failed ?? false;
      running.delete(requestId);
      this.sink.invocation({ functionName, durationMs: Number(match[2]), error: failed });
      return true;
    }
    return false;
  }

  private remember(requestId: string): void {
    if (this.finished.size >= MAX_TRACKED) this.finished.clear();
    this.finished.add(requestId);
  }
}
