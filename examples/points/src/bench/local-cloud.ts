/**
 * `oncely bench local-cloud`: the local cloud's own throughput and memory, through the real AWS SDK
 * over HTTP on this machine. The local cloud runs in this process; the SDK clients run in worker
 * threads so client and server each get a core (the honest figure: an SDK call costs the client
 * more CPU than the server spends answering it), and once more on this one thread, side by side.
 *
 * Measures SQS send+receive+delete messages/s (batches of 10 and single messages), DynamoDB
 * conditional puts/s (the consumer's claim write) at concurrency 1 and 16, the process's peak RSS
 * (sampled every 100 ms; server and workers share the process), and whether the server's heap stays
 * flat over a 100,000-message run. Then the same SQS and DynamoDB runs (worker threads) against a
 * local cloud with a data directory, which answers no write before it is fsynced
 * (docs/local-cloud-durability.md), so the cost of durability shows side by side.
 *
 * @example
 * const report = await runLocalCloudBench({ onPhase: console.error });
 * console.log(formatLocalCloudBench(report));
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalCloud } from '@oncely/local-cloud';
import { LOCAL_CREDENTIALS } from '@oncely/runtime/aws';
import { formatTable } from 'oncely';
import { benchDynamoDb, type DynamoDbBenchFigures } from './local-cloud-dynamodb.js';
import { benchSqs, runSqs, type SqsBenchFigures } from './local-cloud-sqs.js';
import { RESULT_DOCUMENTS, RESULTS_DIR, replaceSection } from './results.js';

/** Conditional puts/s of dynalite in-process at concurrency 16, seen earlier on this machine (not re-measured). */
const DYNALITE_PUTS_PER_SECOND_C16 = 1900;
/** The issue's goal for SQS messages/s with batches of 10. */
const SQS_BATCHED_GOAL = 5000;
const LOCAL_CLOUD_RESULT = join(RESULTS_DIR, 'local-cloud-latest.json');

export interface LocalCloudBenchOptions {
  /** Messages of the batched SQS run. @default 20000 */
  readonly messages?: number;
  /** Messages of the one-at-a-time SQS run. @default min(messages, 5000) */
  readonly singleMessages?: number;
  /** Conditional puts per DynamoDB run. @default 20000 */
  readonly puts?: number;
  /** Worker threads for the SDK clients in the threaded runs. @default 2 */
  readonly threads?: number;
  /** Messages of the memory-flatness run (batches of 10). @default 100000 */
  readonly flatMessages?: number;
  /** Heap checkpoints of the flatness run come every this many messages. @default 10000 */
  readonly checkpointEvery?: number;
  /**
   * Puts of the DynamoDB concurrency-1 run with a data directory: each put waits for an fsync,
   * so it is kept shorter. @default min(puts, 4000)
   */
  readonly durableSerialPuts?: number;
  /** Progress lines. */
  readonly onPhase?: (phase: string) => void;
}

/** One client setup (worker threads or the calling thread). */
export interface LocalCloudSetup {
  readonly sqs: SqsBenchFigures;
  readonly dynamodbC1: DynamoDbBenchFigures;
  readonly dynamodbC16: DynamoDbBenchFigures;
}

export interface Flatness {
  readonly firstMb: number;
  readonly lastMb: number;
  readonly maxMb: number;
  /** Last checkpoint <= first * 1.5 + 20 MB. */
  readonly flat: boolean;
}

export interface LocalCloudBenchReport {
  readonly date: string;
  readonly node: string;
  readonly cpus: number;
  /** 1-, 5- and 15-minute load averages when the run ended. */
  readonly loadAverage: readonly number[];
  readonly threads: number;
  readonly threaded: LocalCloudSetup;
  readonly singleThread: LocalCloudSetup;
  /**
   * The threaded runs against a local cloud with a data directory (every write fsynced before its
   * answer, group commit), next to `threaded`, which keeps state in memory only.
   */
  readonly durable: LocalCloudSetup;
  readonly memory: {
    /** Peak RSS of the whole process (server and client threads) over every run. */
    readonly peakRssMb: number;
    /** Whether heap figures are after a forced GC (otherwise plain heapUsed). */
    readonly gcForced: boolean;
    readonly heapBeforeMb: number;
    readonly heapAfterMb: number;
  };
  readonly flatRun: {
    readonly messages: number;
    readonly seconds: number;
    readonly messagesPerSecond: number;
    readonly peakRssMb: number;
    /** Server-thread heap (after GC when forced) at every checkpoint, starting before the first message. */
    readonly checkpoints: readonly {
      readonly messages: number;
      readonly heapMb: number;
      readonly rssMb: number;
    }[];
  } & Flatness;
  readonly reference: { readonly dynalitePutsPerSecondC16: number; readonly note: string };
  readonly goals: {
    readonly putsAtLeastDynalite: boolean;
    readonly sqsBatchedAtLeast5000: boolean;
    readonly memoryFlat: boolean;
  };
}

/** Flatness of heap checkpoints (MB, after GC): the last may not exceed the first by half plus 20 MB. */
export function judgeFlatness(heapMb: readonly number[]): Flatness {
  const first = heapMb[0] ?? 0;
  const last = heapMb[heapMb.length - 1] ?? first;
  return {
    firstMb: first,
    lastMb: last,
    maxMb: Math.max(first, ...heapMb),
    flat: last <= first * 1.5 + 20,
  };
}

export async function runLocalCloudBench(
  options: LocalCloudBenchOptions = {},
): Promise<LocalCloudBenchReport> {
  const messages = options.messages ?? 20_000;
  const singleMessages = options.singleMessages ?? Math.min(messages, 5000);
  const puts = options.puts ?? 20_000;
  const threads = Math.max(1, options.threads ?? 2);
  const flatMessages = options.flatMessages ?? 100_000;
  const durableSerialPuts = options.durableSerialPuts ?? Math.min(puts, 4000);
  const checkpointEvery = Math.max(1, options.checkpointEvery ?? 10_000);
  const phase = options.onPhase ?? (() => undefined);
  const gc = forcedGc();
  const rss = new RssSampler();
  const cloud = await startLocalCloud({ port: 0 });
  try {
    const heapBeforeMb = heapMb(gc);
    const setup = async (
      clientThreads: number,
      endpoint = cloud.endpoint,
      serialPuts = puts,
    ): Promise<LocalCloudSetup> => {
      const label = `${clientThreads === 0 ? 'single thread' : `${clientThreads} worker threads`}${
        endpoint === cloud.endpoint ? '' : ', --data-dir'
      }`;
      phase(`SQS, ${label}`);
      const sqs = await benchSqs(endpoint, { messages, singleMessages, threads: clientThreads });
      phase(`DynamoDB concurrency 1, ${label}`);
      const dynamodbC1 = await benchDynamoDb(endpoint, {
        puts: serialPuts,
        concurrency: 1,
        threads: clientThreads,
      });
      phase(`DynamoDB concurrency 16, ${label}`);
      const dynamodbC16 = await benchDynamoDb(endpoint, {
        puts,
        concurrency: 16,
        threads: clientThreads,
      });
      return { sqs, dynamodbC1, dynamodbC16 };
    };
    // A discarded warm-up: the first requests of a fresh process run unoptimised code on both sides.
    phase('warm-up (discarded)');
    await benchSqs(cloud.endpoint, { messages: 5000, singleMessages: 1000, threads });
    await benchDynamoDb(cloud.endpoint, { puts: 3000, concurrency: 16, threads });
    await benchDynamoDb(cloud.endpoint, { puts: 1000, concurrency: 16, threads: 0 });
    const threaded = await setup(threads);
    const singleThread = await setup(0);
    const heapAfterMb = heapMb(gc);
    phase(`memory: ${flatMessages} messages in batches of 10, ${threads} worker threads`);
    const runPeakRss = rss.peakMb;
    rss.reset();
    const flatRun = await flatnessRun(cloud.endpoint, threads, flatMessages, checkpointEvery, gc);
    const flatPeakRss = rss.peakMb;
    const peakRssMb = Math.max(runPeakRss, flatPeakRss);
    const durable = await withDataDir(async (endpoint) => {
      phase('--data-dir warm-up (discarded)');
      await benchSqs(endpoint, { messages: 2000, singleMessages: 500, threads });
      await benchDynamoDb(endpoint, { puts: 1000, concurrency: 16, threads });
      return setup(threads, endpoint, durableSerialPuts);
    });
    const flatness = judgeFlatness(flatRun.checkpoints.map((checkpoint) => checkpoint.heapMb));
    return {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
      threads,
      threaded,
      singleThread,
      durable,
      memory: { peakRssMb, gcForced: gc !== undefined, heapBeforeMb, heapAfterMb },
      flatRun: { ...flatRun, peakRssMb: flatPeakRss, ...flatness },
      reference: {
        dynalitePutsPerSecondC16: DYNALITE_PUTS_PER_SECOND_C16,
        note: 'dynalite in-process, concurrency 16, seen earlier on this machine; not re-measured',
      },
      goals: {
        putsAtLeastDynalite: threaded.dynamodbC16.putsPerSecond >= DYNALITE_PUTS_PER_SECOND_C16,
        sqsBatchedAtLeast5000: threaded.sqs.batched.messagesPerSecond >= SQS_BATCHED_GOAL,
        memoryFlat: flatness.flat,
      },
    };
  } finally {
    rss.stop();
    await cloud.stop();
  }
}

/** Runs `body` against a second local cloud that keeps its state in a fresh data directory. */
async function withDataDir<T>(body: (endpoint: string) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oncely-bench-data-'));
  try {
    const cloud = await startLocalCloud({ port: 0, dataDir });
    try {
      return await body(cloud.endpoint);
    } finally {
      await cloud.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The batched SQS load in slices of `every` messages, with the server's heap measured between slices. */
async function flatnessRun(
  endpoint: string,
  threads: number,
  messages: number,
  every: number,
  gc: (() => void) | undefined,
) {
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const settings = {
    endpoint,
    region: 'us-east-1',
    credentials: { ...LOCAL_CREDENTIALS },
    concurrency: 4,
    threads,
    tcpNoDelay: false,
  };
  const checkpoints = [{ messages: 0, heapMb: heapMb(gc), rssMb: mb(process.memoryUsage().rss) }];
  let seconds = 0;
  try {
    for (let done = 0; done < messages; ) {
      const slice = Math.min(every, messages - done);
      seconds += (await runSqs(sqs, settings, 'batches-of-10', slice)).seconds;
      done += slice;
      checkpoints.push({ messages: done, heapMb: heapMb(gc), rssMb: mb(process.memoryUsage().rss) });
    }
  } finally {
    sqs.destroy();
  }
  return {
    messages,
    seconds: round(seconds),
    messagesPerSecond: Math.round(messages / seconds),
    checkpoints,
  };
}

/** A GC function: `gc` under --expose-gc, else the flag set at run time; undefined if neither works. */
function forcedGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

function heapMb(gc: (() => void) | undefined): number {
  gc?.();
  return mb(process.memoryUsage().heapUsed);
}

/** Samples the process's RSS every 100 ms and keeps the peak. */
class RssSampler {
  #peak = process.memoryUsage().rss;
  readonly #timer = setInterval(() => this.#sample(), 100);

  constructor() {
    this.#timer.unref();
  }

  get peakMb(): number {
    this.#sample();
    return mb(this.#peak);
  }

  reset(): void {
    this.#peak = process.memoryUsage().rss;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    this.#peak = Math.max(this.#peak, process.memoryUsage().rss);
  }
}

const mb = (bytes: number) => round(bytes / 1024 / 1024);
const round = (value: number) => Math.round(value * 10) / 10;
const thousands = (value: number) => Math.round(value).toLocaleString('en-US');

/** The Markdown table (README and docs/benchmarks.md) for a report. */
export function localCloudTable(report: LocalCloudBenchReport): string {
  const { threaded: t, singleThread: s, durable: d, flatRun: f } = report;
  const yes = (ok: boolean) => (ok ? 'met' : 'not met');
  const rows = [
    [
      'SQS send+receive+delete, batches of 10 (msgs/s)',
      thousands(t.sqs.batched.messagesPerSecond),
      thousands(s.sqs.batched.messagesPerSecond),
      `>= ${thousands(SQS_BATCHED_GOAL)}: ${yes(report.goals.sqsBatchedAtLeast5000)}`,
    ],
    [
      'SQS send+receive+delete, single messages (msgs/s)',
      thousands(t.sqs.single.messagesPerSecond),
      thousands(s.sqs.single.messagesPerSecond),
      '',
    ],
    [
      'DynamoDB conditional puts, concurrency 1 (puts/s)',
      thousands(t.dynamodbC1.putsPerSecond),
      thousands(s.dynamodbC1.putsPerSecond),
      '',
    ],
    [
      'DynamoDB conditional puts, concurrency 16 (puts/s)',
      thousands(t.dynamodbC16.putsPerSecond),
      thousands(s.dynamodbC16.putsPerSecond),
      `>= dynalite: ${yes(report.goals.putsAtLeastDynalite)}`,
    ],
    [
      'dynalite in-process, concurrency 16 (puts/s; reference seen earlier, not re-measured)',
      '',
      thousands(report.reference.dynalitePutsPerSecondC16),
      '',
    ],
    [
      'Peak RSS, whole process incl. client threads (MB); in the memory run',
      `${report.memory.peakRssMb}; ${f.peakRssMb}`,
      '',
      '',
    ],
    [
      `Server heap${report.memory.gcForced ? ' after GC' : ''}, before / after the throughput runs (MB)`,
      `${report.memory.heapBeforeMb} / ${report.memory.heapAfterMb}`,
      '',
      '',
    ],
    [
      `Server heap over ${thousands(f.messages)} messages${report.memory.gcForced ? ' after GC' : ''}, first / last / max (MB)`,
      `${f.firstMb} / ${f.lastMb} / ${f.maxMb}`,
      '',
      `flat: ${yes(f.flat)}`,
    ],
  ];
  return [
    `Measured ${report.date.slice(0, 10)}: local cloud in one process on ${report.cpus} CPUs (Node ${report.node}), SDK clients in ${report.threads} worker threads or on the server's thread; load average ${report.loadAverage.join(' ')}. Reproduce: \`npm run bench -- local-cloud\`.`,
    '',
    `| measurement | ${report.threads} worker threads | single thread | goal |`,
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `With a data directory (\`--data-dir\`): every write is fsynced (group commit) before it is answered (docs/local-cloud-durability.md); ${report.threads} worker threads, same runs${d.dynamodbC1.puts !== t.dynamodbC1.puts ? ` (${thousands(d.dynamodbC1.puts)} puts at concurrency 1)` : ''}.`,
    '',
    `| measurement, ${report.threads} worker threads | memory only | --data-dir | change |`,
    '|---|---|---|---|',
    ...durableRows(t, d).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function durableRows(memory: LocalCloudSetup, durable: LocalCloudSetup): string[][] {
  const change = (before: number, after: number) => {
    const percent = Math.round((after / before - 1) * 100);
    return before > 0 ? `${percent > 0 ? '+' : ''}${percent}%` : '';
  };
  const rate = (label: string, pick: (setup: LocalCloudSetup) => number) => [
    label,
    thousands(pick(memory)),
    thousands(pick(durable)),
    change(pick(memory), pick(durable)),
  ];
  const latency = (setup: LocalCloudSetup) =>
    `${round(setup.dynamodbC16.p50Ms)} / ${round(setup.dynamodbC16.p99Ms)}`;
  return [
    rate('SQS send+receive+delete, batches of 10 (msgs/s)', (setup) => setup.sqs.batched.messagesPerSecond),
    rate('SQS send+receive+delete, single messages (msgs/s)', (setup) => setup.sqs.single.messagesPerSecond),
    rate('DynamoDB conditional puts, concurrency 1 (puts/s)', (setup) => setup.dynamodbC1.putsPerSecond),
    rate('DynamoDB conditional puts, concurrency 16 (puts/s)', (setup) => setup.dynamodbC16.putsPerSecond),
    ['DynamoDB put latency p50 / p99, concurrency 16 (ms)', latency(memory), latency(durable), ''],
    // CPU time depends far less on machine load than throughput does.
    rate('Process CPU per put, concurrency 16 (µs; server and clients)', (setup) =>
      Math.round(setup.dynamodbC16.processCpuMicrosPerPut),
    ),
  ];
}

/** The report for people: the same table as plain text. */
export function formatLocalCloudBench(report: LocalCloudBenchReport): string {
  // Each Markdown table of the section becomes an aligned plain-text table.
  const tables: string[][][] = [];
  let previousWasTable = false;
  for (const line of localCloudTable(report).split('\n')) {
    const isTable = line.startsWith('|');
    if (isTable && !previousWasTable) tables.push([]);
    if (isTable && !line.startsWith('|---')) tables.at(-1)!.push(line.slice(2, -2).split(' | '));
    previousWasTable = isTable;
  }
  const printed = tables.map(([columns = [], ...body]) =>
    formatTable(
      body.map((row) => Object.fromEntries(columns.map((column, index) => [column, row[index]]))),
      columns,
    ),
  );
  const f = report.flatRun;
  return [
    `Local cloud, ${report.cpus} CPUs, Node ${report.node}, load average ${report.loadAverage.join(' ')}`,
    '',
    printed.join('\n\n'),
    '',
    `Memory run: ${thousands(f.messages)} messages in ${f.seconds} s (${thousands(f.messagesPerSecond)} msgs/s, in slices of ${thousands(f.checkpoints[1]?.messages ?? f.messages)} with a fresh queue each).`,
    `Heap checkpoints (MB): ${f.checkpoints.map((checkpoint) => `${checkpoint.messages}: ${checkpoint.heapMb}`).join(', ')}`,
  ].join('\n');
}

/** Writes examples/points/bench-results/local-cloud-latest.json and the table into the documents; returns the paths written. */
export function writeLocalCloudResult(
  report: LocalCloudBenchReport,
  documents: readonly string[] = RESULT_DOCUMENTS,
): string[] {
  replaceJson(LOCAL_CLOUD_RESULT, report);
  for (const document of documents) replaceSection(document, 'local-cloud-bench', localCloudTable(report));
  return [LOCAL_CLOUD_RESULT, ...documents];
}

function replaceJson(file: string, value: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
