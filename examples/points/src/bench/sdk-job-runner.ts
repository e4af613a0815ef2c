/**
 * Runs one SDK load job in N worker threads (or on the calling thread), shared by the local-cloud
 * benchmarks. A job is plain JavaScript source - so worker threads need no TypeScript loader - that
 * evaluates to `async (sdk, data) => start`, where `sdk` is the required AWS SDK module, the setup
 * before returning (clients, payloads) is not timed, and `start()` runs the timed load and
 * resolves to the thread's result.
 *
 * Why threads: an SDK call costs several times the CPU the local cloud spends answering it, so with
 * client and server on one thread the client is what gets measured; in worker threads the clients
 * and the in-process local cloud can use all cores.
 *
 * @example
 * const run = await runSdkJob<{ n: number }>({ job: 'async (sdk, data) => async () => ({ n: data.n })',
 *   sdkModule: '@aws-sdk/client-sqs', threads: 2, data: (t) => ({ n: t }) });
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface SdkJobOptions {
  /** JavaScript source evaluating to `async (sdk, data) => async () => result`. */
  readonly job: string;
  /** Package name of the SDK the job receives, e.g. '@aws-sdk/client-sqs'. */
  readonly sdkModule: string;
  /** Worker threads; 0 runs the job on the calling thread (next to an in-process local cloud). */
  readonly threads: number;
  /** Structured-clonable data for thread `t`. */
  readonly data: (thread: number) => Record<string, unknown>;
}

export interface SdkJobRun<T> {
  /** One result per thread (one in total when `threads` is 0). */
  readonly results: T[];
  /** Wall time of the timed part, from the moment every thread was set up. */
  readonly seconds: number;
  /** CPU time of the whole process (all threads) during the timed part, in microseconds. */
  readonly cpuMicros: number;
}

type Job<T> = (sdk: unknown, data: Record<string, unknown>) => Promise<() => Promise<T>>;

const WORKER_WRAPPER = `
const { parentPort, workerData } = require('node:worker_threads');
const job = eval(workerData.job);
job(require(workerData.sdkPath), workerData.data).then((start) => {
  parentPort.once('message', () => start().then((result) => parentPort.postMessage(result)));
  parentPort.postMessage('ready');
});
`;

/** Splits `total` into `parts` near-equal integer shares; share `index` of them. */
export function shareOf(total: number, index: number, parts: number): number {
  return Math.floor((total * (index + 1)) / parts) - Math.floor((total * index) / parts);
}

export async function runSdkJob<T>(options: SdkJobOptions): Promise<SdkJobRun<T>> {
  const require = createRequire(import.meta.url);
  const sdkPath = require.resolve(options.sdkModule);
  if (options.threads === 0) {
    // The same job source, evaluated here: the single-thread figure runs identical client code.
    const job = new Function('require', `return (${options.job});`)(require) as Job<T>;
    const start = await job(require(sdkPath), options.data(0));
    return timed(async () => [await start()]);
  }
  const workers: Worker[] = [];
  try {
    const ready: Promise<void>[] = [];
    const results: Promise<T>[] = [];
    for (let t = 0; t < options.threads; t++) {
      const worker = new Worker(WORKER_WRAPPER, {
        eval: true,
        workerData: { job: options.job, sdkPath, data: options.data(t) },
      });
      workers.push(worker);
      // The first message says the thread is set up; the second carries its result.
      let markReady: () => void = () => undefined;
      ready.push(new Promise<void>((resolve) => (markReady = resolve)));
      results.push(
        new Promise((resolve, reject) => {
          worker.on('message', (message: unknown) => {
            if (message === 'ready') markReady();
            else resolve(message as T);
          });
          worker.once('error', reject);
        }),
      );
    }
    await Promise.all(ready);
    return await timed(() => {
      for (const worker of workers) worker.postMessage('start');
      return Promise.all(results);
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

async function timed<T>(work: () => Promise<T[]>): Promise<SdkJobRun<T>> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const results = await work();
  const cpu = process.cpuUsage(cpuBefore);
  return { results, seconds: (performance.now() - started) / 1000, cpuMicros: cpu.user + cpu.system };
}
