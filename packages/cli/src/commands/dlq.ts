import {
  latestRedrive,
  listDeadLetters,
  queueArnOf,
  readQueueCounts,
  redriveSelected,
  startRedrive,
  waitForRedrive,
} from '@oncely/runtime/aws';
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

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'List dead-lettered messages with their failure reasons; redrive them (all or selected)',
  usage: `Usage: oncely dlq list [--max N] [options]
       oncely dlq redrive [--max-per-second N] [--wait] [options]
       oncely dlq redrive --reason R | --type T [--max N] [options]

list      Shows DLQ messages with why they are there: the consumer's poison reason and error, or
          'maxReceiveCount exceeded' with the receive count and source queue. Nothing is consumed
          (VisibilityTimeout 0 peek; it does count as a receive on the DLQ copy).
redrive   Without filters: a message move task (StartMessageMoveTask) back to the source queue,
          followed with --wait. With --reason or --type: receives, re-sends the matching messages
          to the source queue and deletes each from the DLQ only after its send succeeded.

Options:
  --max N              list: most messages shown (default 100); selective redrive: most moved
  --max-per-second N   move task rate limit
  --wait               follow the move task until it finishes (progress on stderr)
  --reason R           selective: only messages with this failure reason (as 'list' shows it)
  --type T             selective: only messages of this event type
${AWS_OPTIONS_USAGE}
${RESOURCE_OPTIONS_USAGE}
  -h, --help           show this help`,
  allowPositionals: true,
  options: {
    ...AWS_OPTIONS,
    ...RESOURCE_OPTIONS,
    max: { type: 'string' },
    'max-per-second': { type: 'string' },
    wait: { type: 'boolean' },
    reason: { type: 'string' },
    type: { type: 'string' },
  },
  async run(values, positionals) {
    const [action, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (action === 'list') return list(values);
    if (action === 'redrive') return redrive(values);
    throw new UsageError(
      action ? `unknown action '${action}' (list or redrive)` : 'missing action: list or redrive',
    );
  },
};

async function list(values: Record<string, unknown>): Promise<number> {
  const max = positiveIntegerOption(values, 'max', 100);
  const { letters, depth } = await withPipeline(values, async (context) => {
    const url = context.require('deadLetterQueueUrl');
    const listed = await listDeadLetters(context.clients.sqs, url, max);
    const counts = await readQueueCounts(context.clients.sqs, url);
    return { letters: listed, depth: counts.visible + counts.inFlight + counts.delayed };
  });
  if (values.json) {
    console.log(JSON.stringify(letters, null, 2));
    return 0;
  }
  if (!letters.length) {
    console.log(
      depth
        ? `No message could be peeked; ${depth} are in flight or delayed.`
        : 'The dead-letter queue is empty.',
    );
    return 0;
  }
  const rows = letters.map((letter) => ({
    ...letter,
    sent: letter.sentAt ? new Date(letter.sentAt).toISOString() : undefined,
    stream: letter.producer ? `${letter.producer}#${letter.seq}` : undefined,
    source: letter.sourceArn?.split(':').at(-1),
    error: letter.error?.slice(0, 60),
  }));
  console.log(
    formatTable(rows, ['messageId', 'sent', 'type', 'stream', 'reason', 'receiveCount', 'source', 'error']),
  );
  if (depth > letters.length)
    // A FIFO queue shows only the head of each message group to a receive; --max bounds the rest.
    console.log(`(${letters.length} of about ${depth} messages shown; on FIFO queues one per message group)`);
  return 0;
}

async function redrive(values: Record<string, unknown>): Promise<number> {
  const selective = values.reason !== undefined || values.type !== undefined;
  if (selective && (values['max-per-second'] !== undefined || values.wait))
    throw new UsageError('--max-per-second and --wait apply to a full redrive, not to --reason/--type');
  const maxPerSecond =
    values['max-per-second'] === undefined ? undefined : positiveIntegerOption(values, 'max-per-second', 1);
  const max = values.max === undefined ? undefined : positiveIntegerOption(values, 'max', 1);
  if (!selective && max !== undefined)
    throw new UsageError('--max applies to a selective redrive (--reason/--type)');

  return withPipeline(values, async (context) => {
    const { sqs } = context.clients;
    const deadLetterQueueUrl = context.require('deadLetterQueueUrl');
    const queueUrl = context.optional('queueUrl');
    if (selective) {
      const result = await redriveSelected(sqs, deadLetterQueueUrl, {
        ...(values.reason !== undefined ? { reason: values.reason as string } : {}),
        ...(values.type !== undefined ? { type: values.type as string } : {}),
        ...(queueUrl ? { destinationUrl: queueUrl } : {}),
        ...(max !== undefined ? { max } : {}),
        onProgress: (moved, failed) => progress(`  moved ${moved}, failed ${failed}`),
      });
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(
          `Redrove ${result.moved} message(s); ${result.skipped} did not match; ${result.failed} failed.`,
        );
        if (result.stillHidden > 0)
          console.log(
            `${result.stillHidden} message(s) stay in the dead-letter queue, hidden until their hold ends (could not be released).`,
          );
        for (const error of result.errors) console.error(`  ${error}`);
      }
      if (result.failed > 0) {
        console.error('Failed messages are still in the dead-letter queue; run the redrive again.');
        return 1;
      }
      return 0;
    }

    const deadLetterQueueArn = await queueArnOf(sqs, deadLetterQueueUrl);
    // An explicit destination also covers messages the consumer dead-lettered itself, which carry
    // no DeadLetterQueueSourceArn for SQS to route them by.
    const destinationArn = queueUrl ? await queueArnOf(sqs, queueUrl) : undefined;
    const handle = await startRedrive(sqs, deadLetterQueueArn, {
      ...(destinationArn ? { destinationArn } : {}),
      ...(maxPerSecond ? { maxPerSecond } : {}),
    });
    progress(`started message move task ${handle ?? ''}`.trim());
    const task = values.wait
      ? await waitForRedrive(sqs, deadLetterQueueArn, {
          onProgress: (current) =>
            progress(
              `  ${current.status}: moved ${current.moved}${current.toMove !== undefined ? ` of ${current.toMove}` : ''}`,
            ),
        })
      : await latestRedrive(sqs, deadLetterQueueArn);
    if (values.json) console.log(JSON.stringify({ taskHandle: handle, task }, null, 2));
    else if (task) console.log(`Move task ${task.status}: ${task.moved} message(s) moved.`);
    if (task?.status === 'FAILED') {
      console.error(`Move task failed: ${task.failureReason ?? 'no reason given'}`);
      return 1;
    }
    return 0;
  });
}
