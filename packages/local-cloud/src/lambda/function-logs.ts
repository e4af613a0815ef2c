/**
 * The log of every local Lambda function: what its handler printed (stdout, stderr) and the lines
 * Lambda itself writes around an invocation (START, END, REPORT, errors, timeouts), each tagged
 * with the invocation's request id. Subscribers see lines as they are written (`oncely local`
 * prints them prefixed with the function's name); a bounded tail per function stays in memory for
 * whoever looks later (tests, a console).
 */

/** Where a log line came from. */
export type FunctionLogSource =
  /** The handler's `console.log`/`process.stdout` output. */
  | 'stdout'
  /** The handler's `console.error`/`process.stderr` output. */
  | 'stderr'
  /** Lines Lambda writes: START, END, REPORT, INIT_REPORT, `Invoke Error`, task timeouts. */
  | 'platform';

/** One line of a function's log. */
export interface FunctionLogEvent {
  /** The function's name (its physical name, as `GetFunction` knows it). */
  readonly functionName: string;
  /**
   * The invocation the line belongs to; undefined for output an environment writes between
   * invocations (a timer the handler left running).
   */
  readonly requestId: string | undefined;
  /** The line, without its line break. */
  readonly line: string;
  /** The handler's stdout or stderr, or Lambda's own lines. */
  readonly source: FunctionLogSource;
  /** When the line was captured, in epoch milliseconds of the local cloud's clock. */
  readonly timestamp: number;
}

/** Receives function log lines as they are written. */
export type FunctionLogListener = (event: FunctionLogEvent) => void;

/**
 * The function logs of a local cloud (`cloud.logs`).
 * @example
 * const stop = cloud.logs.subscribe((event) => console.log(`[${event.functionName}] ${event.line}`));
 * // ... later
 * stop();
 */
export interface FunctionLogs {
  /**
   * Calls `listener` for every line from now on (of one function only, with `functionName`).
   * Returns a function that unsubscribes. A listener that throws is reported and skipped; it does
   * not disturb the function or the other listeners.
   */
  subscribe(listener: FunctionLogListener, options?: { readonly functionName?: string }): () => void;
  /** The most recent lines of a function, oldest first (at most `limit`, and at most the tail size). */
  tail(functionName: string, limit?: number): readonly FunctionLogEvent[];
}

/** Lambda's own lines; everything else on stdout is the handler's. */
const PLATFORM_LINE =
  /^(?:START|END|REPORT) RequestId: |^INIT_(?:START|REPORT) |^\S+\t\S+\tERROR\tInvoke Error \t/;

export function isPlatformLine(line: string): boolean {
  return PLATFORM_LINE.test(line);
}

/** The implementation behind {@link FunctionLogs}, fed by the Lambda service. */
export class FunctionLogStream implements FunctionLogs {
  private readonly tails = new Map<string, FunctionLogEvent[]>();
  private readonly listeners = new Set<{ listener: FunctionLogListener; functionName?: string }>();

  constructor(
    /** Lines kept per function. */
    private readonly tailSize = 1000,
  ) {}

  subscribe(listener: FunctionLogListener, options: { readonly functionName?: string } = {}): () => void {
    const entry = { listener, ...(options.functionName ? { functionName: options.functionName } : {}) };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  tail(functionName: string, limit = this.tailSize): readonly FunctionLogEvent[] {
    const events = this.tails.get(functionName) ?? [];
    return events.slice(-Math.min(limit, this.tailSize));
  }

  publish(event: FunctionLogEvent): void {
    let events = this.tails.get(event.functionName);
    if (!events) {
      events = [];
      this.tails.set(event.functionName, events);
    }
    events.push(event);
    // Trimmed in chunks, so a busy function does not shift the whole array for every line.
    if (events.length >= 2 * this.tailSize) events.splice(0, events.length - this.tailSize);
    for (const entry of this.listeners) {
      if (entry.functionName && entry.functionName !== event.functionName) continue;
      try {
        entry.listener(event);
      } catch (error) {
        console.error(
          `local cloud: a function log listener failed on a line of ${event.functionName}`,
          error,
        );
      }
    }
  }

  /** Drops a deleted function's tail. */
  forget(functionName: string): void {
    this.tails.delete(functionName);
  }
}
