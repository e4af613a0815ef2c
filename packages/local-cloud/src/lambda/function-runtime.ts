/**
 * Runs one local Lambda function: a pool of worker-thread execution environments, each with its
 * own `process.env` and module cache, so functions with different environments share one process
 * without seeing each other's variables. One environment serves one invocation at a time (as on
 * Lambda), so the pool size is the function's concurrency.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { type FunctionLogSource, isPlatformLine } from './function-logs.js';

/** What a function is, as CreateFunction or the template deployer describes it. */
export interface FunctionDefinition {
  readonly name: string;
  readonly arn: string;
  /** Directory holding the unpacked code (a CDK asset directory, or an extracted zip). */
  readonly codeDirectory: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  /** @default 'nodejs22.x' */
  readonly runtime: string;
  /** Seconds. @default 3 */
  readonly timeout: number;
  /** @default 128 */
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly role?: string;
  readonly description?: string;
}

export interface InvocationContext {
  readonly requestId: string;
  /** Divides the configured timeout (a demo running at 10x speed times out 10x sooner). @default 1 */
  readonly timeScale?: number;
}

/** The outcome of one invocation: a payload, or a function error rendered the way Lambda does. */
export interface InvocationResult {
  /** JSON text returned by the handler, or the error object on failure. */
  readonly payload: string;
  /** `Unhandled` when the function failed (threw, timed out, crashed). */
  readonly functionError?: 'Unhandled';
  readonly errorType?: string;
}

/** Which invocation a log line belongs to, and who wrote it. */
export interface LogLineOrigin {
  readonly requestId: string | undefined;
  readonly source: FunctionLogSource;
}

export interface RuntimeHost {
  /** Values every environment gets (endpoint, region, dummy credentials), under the function's own. */
  baseEnvironment(): Record<string, string>;
  onLogLine(functionName: string, line: string, origin: LogLineOrigin): void;
}

const START_LINE = /^START RequestId: (\S+)/;
const REPORT_LINE = /^REPORT RequestId: (\S+)/;

const WORKER_URL = new URL('./function-worker.mjs', import.meta.url);
/** Lambda's limit on the init phase of an on-demand environment. */
const INIT_TIMEOUT_SECONDS = 10;

interface PendingInvocation {
  readonly resolve: (result: InvocationResult) => void;
  readonly timer: NodeJS.Timeout;
  readonly requestId: string;
  readonly startedAt: number;
}

/** One execution environment. */
class ExecutionEnvironment {
  private readonly worker: Worker;
  private pending: PendingInvocation | undefined;
  private sequence = 0;
  private startHandlerTimer: () => void = () => undefined;
  /**
   * The invocation the worker's stdout is in, read from the START and REPORT lines in that same
   * stream: stdout arrives asynchronously, after the invocation may already have settled, so the
   * pending invocation cannot tell which request a line belongs to, but the stream's framing can.
   */
  private stdoutRequestId: string | undefined;
  /** Resolves once everything the worker printed has been passed on as log lines. */
  private readonly outputClosed: Promise<void>;
  dead = false;
  /** When this environment last finished an invocation (for reclaiming idle ones). */
  idleSince = Date.now();

  constructor(
    private readonly definition: FunctionDefinition,
    private readonly host: RuntimeHost,
  ) {
    this.worker = new Worker(WORKER_URL, {
      workerData: { codeDirectory: definition.codeDirectory, handler: definition.handler },
      env: {
        ...host.baseEnvironment(),
        AWS_LAMBDA_FUNCTION_NAME: definition.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.name}`,
        AWS_EXECUTION_ENV: `AWS_Lambda_${definition.runtime}`,
        LAMBDA_TASK_ROOT: definition.codeDirectory,
        ...definition.environment,
      },
      stdout: true,
      stderr: true,
    });
    // Idle environments must not keep the host process alive; a pending invocation's timer does.
    this.worker.unref();
    const closed: Array<Promise<void>> = [];
    const streams: Array<[Readable, (line: string) => void]> = [
      [this.worker.stdout, (line) => this.stdoutLine(line)],
      // stderr has no framing of its own: its lines belong to the invocation running now.
      [
        this.worker.stderr,
        (line) =>
          host.onLogLine(definition.name, line, {
            requestId: this.stdoutRequestId ?? this.pending?.requestId,
            source: 'stderr',
          }),
      ],
    ];
    for (const [stream, onLine] of streams) {
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', onLine);
      closed.push(new Promise((resolve) => lines.once('close', resolve)));
    }
    this.outputClosed = Promise.all(closed).then(() => undefined);
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'initialized') {
        this.startHandlerTimer();
        return;
      }
      if (message.type !== 'result' || !this.pending) return;
      const result: InvocationResult = message.ok
        ? { payload: message.payload }
        : {
            payload: JSON.stringify(message.error),
            functionError: 'Unhandled',
            errorType: message.error.errorType,
          };
      this.settle(result);
    });
    this.worker.on('error', (error) => {
      // An uncaught exception ends the environment, like a crashed Lambda runtime.
      this.dead = true;
      this.endAbnormally(failure(error.name || 'Runtime.UnhandledError', error.message), 'error');
    });
    this.worker.on('exit', (code) => {
      this.dead = true;
      this.endAbnormally(
        failure(
          'Runtime.ExitError',
          `RequestId: ${this.pending?.requestId} Error: Runtime exited with error: exit status ${code}`,
        ),
        'error',
      );
    });
  }

  private stdoutLine(line: string): void {
    const start = START_LINE.exec(line);
    if (start) this.stdoutRequestId = start[1];
    const requestId = this.stdoutRequestId;
    if (REPORT_LINE.test(line)) this.stdoutRequestId = undefined;
    this.host.onLogLine(this.definition.name, line, {
      requestId,
      source: isPlatformLine(line) ? 'platform' : 'stdout',
    });
  }

  invoke(event: unknown, context: InvocationContext): Promise<InvocationResult> {
    const timeoutMs = (this.definition.timeout * 1000) / (context.timeScale ?? 1);
    return new Promise((resolve) => {
      // Like Lambda, module initialisation (cold start) has its own limit; the function's timeout
      // starts when the handler is called (the worker reports `initialized`).
      const timer = setTimeout(
        () => this.timeOut(context.requestId, 'Init', INIT_TIMEOUT_SECONDS),
        INIT_TIMEOUT_SECONDS * 1000,
      );
      this.startHandlerTimer = () => {
        if (!this.pending) return;
        clearTimeout(this.pending.timer);
        this.pending = {
          ...this.pending,
          timer: setTimeout(
            () => this.timeOut(context.requestId, 'Task', this.definition.timeout),
            timeoutMs,
          ),
        };
      };
      this.pending = { resolve, timer, requestId: context.requestId, startedAt: performance.now() };
      this.worker.postMessage({
        type: 'invoke',
        id: ++this.sequence,
        event,
        timeoutMs,
        context: {
          awsRequestId: context.requestId,
          functionName: this.definition.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: this.definition.arn,
          memoryLimitInMB: String(this.definition.memorySize),
          logGroupName: `/aws/lambda/${this.definition.name}`,
          logStreamName: `local/[$LATEST]${this.definition.name}`,
        },
      });
    });
  }

  /** The handler's promise is abandoned: the environment is destroyed, as Lambda does. */
  private timeOut(requestId: string, phase: 'Init' | 'Task', seconds: number): void {
    const log = (line: string) =>
      this.host.onLogLine(this.definition.name, line, { requestId, source: 'platform' });
    if (phase === 'Init') {
      log(`INIT_REPORT Init Duration: ${(seconds * 1000).toFixed(2)} ms\tPhase: init\tStatus: timeout`);
    }
    // Lambda words an init timeout during an invocation as a task timeout too.
    const message = `Task timed out after ${seconds.toFixed(2)} seconds`;
    log(`${new Date().toISOString()} ${requestId} ${message}`);
    this.endAbnormally(failure('Sandbox.Timedout', `RequestId: ${requestId} Error: ${message}`), 'timeout');
    this.destroy();
  }

  /**
   * The worker cannot write the closing platform lines of an invocation it did not finish (it
   * crashed or was stopped), so they are written here, as the Lambda service does.
   */
  private endAbnormally(result: InvocationResult, status: 'error' | 'timeout'): void {
    const pending = this.pending;
    if (!pending) return;
    const log = (line: string) =>
      this.host.onLogLine(this.definition.name, line, { requestId: pending.requestId, source: 'platform' });
    const duration = performance.now() - pending.startedAt;
    const closingLines = () => {
      if (status === 'error') {
        log(`${new Date().toISOString()}\t${pending.requestId}\tERROR\tInvoke Error \t${result.payload}`);
      }
      log(`END RequestId: ${pending.requestId}`);
      log(
        `REPORT RequestId: ${pending.requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.ceil(duration)} ms\t` +
          `Memory Size: ${this.definition.memorySize} MB\tMax Memory Used: 0 MB\tStatus: ${status}`,
      );
    };
    // A crashed worker's last output (its START line among it) may still be in transit: the
    // closing lines follow it. A timed-out worker started long ago; its lines are already out.
    if (status === 'error') void this.outputClosed.then(closingLines);
    else closingLines();
    this.settle(result);
  }

  destroy(): void {
    this.dead = true;
    void this.worker.terminate();
  }

  private settle(result: InvocationResult): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(result);
  }
}

type WorkerMessage =
  | { type: 'initialized'; id: number }
  | { type: 'result'; id: number; ok: true; payload: string }
  | {
      type: 'result';
      id: number;
      ok: false;
      error: { errorType: string; errorMessage: string; trace: string[] };
    };

function failure(errorType: string, errorMessage: string): InvocationResult {
  return { payload: JSON.stringify({ errorType, errorMessage }), functionError: 'Unhandled', errorType };
}

/** Thrown when no environment may be started: reserved concurrency is exhausted. */
export class ThrottledError extends Error {}

/**
 * The pool of environments of one function. It grows on demand up to `limit` (the reserved
 * concurrency, or the local cap) and reuses idle environments (warm starts keep module state).
 */
export class FunctionRuntime {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly waiters: Array<() => void> = [];
  private busy = 0;
  private started = 0;
  private closed = false;
  /** Invocations completed since creation, successful or not. */
  invocations = 0;
  errors = 0;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly host: RuntimeHost,
    /** Environments this function may run at once. */
    private limit: number,
  ) {}

  /** Invocations running now. */
  get inFlight(): number {
    return this.busy;
  }

  /** Environments created since the function was registered (cold starts). */
  get coldStarts(): number {
    return this.started;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.wakeWaiters();
  }

  /**
   * Runs one invocation. With `throttle`, fails at once when the pool is at its limit (a direct
   * Invoke over reserved concurrency); otherwise waits for a free environment.
   */
  async invoke(
    event: unknown,
    context: InvocationContext,
    options: { throttle?: boolean } = {},
  ): Promise<InvocationResult> {
    if (this.closed) throw new Error(`Function ${this.definition.name} was deleted`);
    while (this.busy >= this.limit) {
      if (options.throttle) throw new ThrottledError('Rate Exceeded.');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.busy++;
    const environment = this.takeEnvironment();
    try {
      const result = await environment.invoke(event, context);
      this.invocations++;
      if (result.functionError) this.errors++;
      return result;
    } finally {
      this.busy--;
      if (!environment.dead && !this.closed && this.idle.length < this.limit) {
        environment.idleSince = Date.now();
        this.idle.push(environment);
      } else environment.destroy();
      this.wakeWaiters();
    }
  }

  /** Environments currently kept warm. */
  get warmEnvironments(): number {
    return this.idle.length;
  }

  /** Destroys environments idle for longer than `idleMs`, as Lambda reclaims unused ones. */
  reclaimIdle(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    const keep = this.idle.filter((environment) => environment.idleSince >= cutoff && !environment.dead);
    for (const environment of this.idle) if (!keep.includes(environment)) environment.destroy();
    this.idle.splice(0, this.idle.length, ...keep);
  }

  close(): void {
    this.closed = true;
    for (const environment of this.idle.splice(0)) environment.destroy();
    this.wakeWaiters();
  }

  private takeEnvironment(): ExecutionEnvironment {
    for (let environment = this.idle.pop(); environment; environment = this.idle.pop()) {
      if (!environment.dead) return environment;
    }
    this.started++;
    return new ExecutionEnvironment(this.definition, this.host);
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
