/**
 * `oncely bench`: the end-to-end benchmark (bench/end-to-end.ts) by default, or one of the
 * component benchmarks (local-cloud, consumer, producer). End-to-end results are written under
 * examples/points/bench-results/ and the README's benchmark table is regenerated from them.
 */

import { type Command, positiveIntegerOption, progress, UsageError } from 'oncely';
import { benchConsumer, formatConsumerBench } from '../bench/consumer.js';
import {
  DEFAULT_PAYLOAD_EVENTS,
  DEFAULT_PAYLOAD_SIZES,
  DEFAULT_REPEATS,
  END_TO_END_GOALS,
  END_TO_END_VARIANTS,
  type EndToEndVariant,
  runEndToEndBench,
} from '../bench/end-to-end.js';
import { formatLocalCloudBench, runLocalCloudBench, writeLocalCloudResult } from '../bench/local-cloud.js';
import { benchProducer } from '../bench/producer.js';
import { formatEndToEnd, writeBenchResult } from '../bench/results.js';

const COMPONENTS = ['local-cloud', 'consumer', 'producer'] as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Benchmark the pipeline end to end against a Powertools baseline (or one component)',
  usage: `Usage: oncely bench [local-cloud|consumer|producer] [--events N] [--seed S] [--json]

Without a component: the points workload end to end on the local cloud (producer -> SQS FIFO ->
event source mapping -> consumer Lambda -> DynamoDB) for Oncely's transactional mode (batched
publishing), claim mode and a baseline built the usual way (Powertools idempotency and batch
utilities, one message per send; the consumer component runs the same baseline module). After a
discarded warm-up the variants run ${DEFAULT_REPEATS} times each in rotation and every figure is
the median of a variant's runs; then each variant runs once per payload size (envelopes padded to
${DEFAULT_PAYLOAD_SIZES.join(' and ')} bytes) to price larger messages. Prints events/s, end-to-end
latency, requests and capacity units per event, Lambda GB-seconds and the estimated cost per
million events, then the ratios against the baseline (goals: cost <= ${END_TO_END_GOALS.costAtMost}x,
throughput >= ${END_TO_END_GOALS.throughputAtLeast}x). Writes
examples/points/bench-results/end-to-end-latest.json and the README table (unless --no-write).

Components:
  local-cloud   SQS send+receive+delete msgs/s (batches of 10, single), DynamoDB conditional
                puts/s at concurrency 1 and 16, peak memory and a 100,000-message heap check;
                SDK clients in worker threads and on one thread side by side (--events: batched
                messages and puts, default 20000); writes
                examples/points/bench-results/local-cloud-latest.json
  consumer      transactional vs claim vs Powertools baseline at the handler level
  producer      Snowflake ids/s and batched vs one-per-event publishing

Options:
  --events N        orders per variant (default 5000; component benches: their own default)
  --seed S          workload seed (default 1)
  --variants LIST   comma-separated subset of ${END_TO_END_VARIANTS.join(',')}
  --repeats R       runs per variant, in rotation; medians are reported (default ${DEFAULT_REPEATS})
  --payload-sizes L comma-separated envelope sizes in bytes for the extra runs, or none
                    (default ${DEFAULT_PAYLOAD_SIZES.join(',')})
  --payload-events N orders per payload-size run (default min(--events, ${DEFAULT_PAYLOAD_EVENTS}))
  --no-write        do not write examples/points/bench-results/ or README.md
  --json            one JSON object on stdout
  -h, --help        show this help`,
  options: {
    events: { type: 'string' },
    seed: { type: 'string' },
    variants: { type: 'string' },
    repeats: { type: 'string' },
    'payload-sizes': { type: 'string' },
    'payload-events': { type: 'string' },
    'no-write': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const [component, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const json = values.json === true;
    if (component !== undefined) {
      if (!(COMPONENTS as readonly string[]).includes(component))
        throw new UsageError(`unknown component '${component}' (${COMPONENTS.join(', ')})`);
      return runComponent(component as (typeof COMPONENTS)[number], values, json);
    }
    const variants = parseVariants(values.variants);
    const events = positiveIntegerOption(values, 'events', 5000);
    const report = await runEndToEndBench({
      events,
      seed: positiveIntegerOption(values, 'seed', 1),
      variants,
      repeats: positiveIntegerOption(values, 'repeats', DEFAULT_REPEATS),
      payloadSizes: parsePayloadSizes(values['payload-sizes']),
      payloadEvents: positiveIntegerOption(
        values,
        'payload-events',
        Math.min(events, DEFAULT_PAYLOAD_EVENTS),
      ),
      onPhase: (variant, phase) => progress(`[${variant}] ${phase}`),
    });
    if (values['no-write'] !== true) {
      const written = writeBenchResult(report);
      progress(`wrote ${written.join(', ')}`);
    }
    console.log(json ? JSON.stringify(report) : formatEndToEnd(report));
    return 0;
  },
};

/** `--payload-sizes 1024,8192`; `none` (or an empty list) runs no payload-size runs. */
export function parsePayloadSizes(raw: unknown): number[] {
  if (raw === undefined) return [...DEFAULT_PAYLOAD_SIZES];
  const text = String(raw).trim();
  if (text === '' || text === 'none') return [];
  return text.split(',').map((part) => {
    const bytes = Number(part.trim());
    if (!Number.isInteger(bytes) || bytes <= 0)
      throw new UsageError(`--payload-sizes: '${part}' is not a positive whole number of bytes`);
    return bytes;
  });
}

function parseVariants(raw: unknown): EndToEndVariant[] {
  if (raw === undefined) return [...END_TO_END_VARIANTS];
  const names = String(raw).split(',').filter(Boolean);
  for (const name of names)
    if (!(END_TO_END_VARIANTS as readonly string[]).includes(name))
      throw new UsageError(`unknown variant '${name}' (${END_TO_END_VARIANTS.join(', ')})`);
  return names as EndToEndVariant[];
}

async function runComponent(
  component: (typeof COMPONENTS)[number],
  values: Record<string, unknown>,
  json: boolean,
): Promise<number> {
  const print = (figures: unknown, text: () => string) =>
    console.log(json ? JSON.stringify(figures) : text());
  switch (component) {
    case 'consumer': {
      const result = await benchConsumer({ messages: positiveIntegerOption(values, 'events', 2000) });
      print(result, () => formatConsumerBench(result));
      return 0;
    }
    case 'producer': {
      const figures = await benchProducer({ events: positiveIntegerOption(values, 'events', 5000) });
      print(figures, () => JSON.stringify(figures, null, 2));
      return 0;
    }
    case 'local-cloud': {
      const report = await runLocalCloudBench({
        messages: positiveIntegerOption(values, 'events', 20_000),
        puts: positiveIntegerOption(values, 'events', 20_000),
        onPhase: (phase) => progress(`[local-cloud] ${phase}`),
      });
      if (values['no-write'] !== true) progress(`wrote ${writeLocalCloudResult(report).join(', ')}`);
      print(report, () => formatLocalCloudBench(report));
      return 0;
    }
  }
}
