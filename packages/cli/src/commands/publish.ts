import { createProducer, EmfTelemetry } from '@oncely/runtime/aws';
import {
  AWS_OPTIONS,
  AWS_OPTIONS_USAGE,
  type Command,
  formatTable,
  positiveIntegerOption,
  progress,
  UsageError,
} from '../command.js';
import { RESOURCE_OPTIONS, RESOURCE_OPTIONS_USAGE, withPipeline } from '../stack-resources.js';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'Publish stamped events by hand through the producer (id, producer stream, seq)',
  usage: `Usage: oncely publish --type T --payload JSON [--key K] [--count N] [options]

Publishes events through the producer middleware in direct mode: it leases a worker id, stamps
each event (Snowflake id, producer stream, seq), sends it and releases the lease at the end, so
the stream closes with an exact high-water mark the auditor can check. With an outbox table the
sends are also recorded there (send log), so lost messages can be re-published.

Options:
  --type T          event type, e.g. points.deduct (required)
  --payload JSON    event payload as JSON (required)
  --key K           ordering key (FIFO MessageGroupId) (default: oncely-cli)
  --count N         publish N events with the same payload (default 1)
  --no-send-log     do not record sends in the outbox
${AWS_OPTIONS_USAGE}
${RESOURCE_OPTIONS_USAGE}
  -h, --help        show this help`,
  options: {
    ...AWS_OPTIONS,
    ...RESOURCE_OPTIONS,
    type: { type: 'string' },
    payload: { type: 'string' },
    key: { type: 'string' },
    count: { type: 'string' },
    'no-send-log': { type: 'boolean' },
  },
  async run(values) {
    const type = values.type as string | undefined;
    if (!type) throw new UsageError('--type is required');
    if (values.payload === undefined) throw new UsageError('--payload is required');
    let payload: unknown;
    try {
      payload = JSON.parse(values.payload as string);
    } catch (error) {
      throw new UsageError(`--payload is not valid JSON: ${(error as Error).message}`);
    }
    const count = positiveIntegerOption(values, 'count', 1);
    const key = (values.key as string | undefined) ?? 'oncely-cli';

    const receipts = await withPipeline(values, async (context) => {
      const outboxTable = context.optional('outboxTable');
      const producer = createProducer({
        clients: context.clients,
        // Trouble (fallbacks, lease renewals) goes to stderr, so stdout stays the receipts (--json).
        telemetry: new EmfTelemetry({
          service: 'oncely-cli',
          write: (line) => process.stderr.write(`${line}\n`),
        }),
        queueUrl: context.require('queueUrl'),
        leasesTable: context.require('leasesTable'),
        ...(outboxTable ? { outboxTable } : {}),
        sendLog: outboxTable !== undefined && values['no-send-log'] !== true,
      });
      const sent = [];
      try {
        for (let index = 0; index < count; index++) {
          sent.push(await producer.publish({ type, payload, key }));
          if (count > 10 && (index + 1) % 100 === 0) progress(`  published ${index + 1} of ${count}`);
        }
      } finally {
        // Flushes, then releasing closes the stream at its last stamped seq: the auditor can then judge its tail.
        await producer.close();
      }
      return sent;
    });
    const rows = receipts.map(({ envelope, via }) => ({
      id: envelope.id,
      producer: envelope.producer,
      seq: envelope.seq,
      type: envelope.type,
      key: envelope.key,
      via,
    }));
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else console.log(formatTable(rows, ['id', 'producer', 'seq', 'type', 'key', 'via']));
    return 0;
  },
};
