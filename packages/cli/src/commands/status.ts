import { type CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDbAuditStore,
  DynamoDbDegradationReader,
  peekMessages,
  readQueueCounts,
} from '@oncely/runtime/aws';
import { AWS_OPTIONS, AWS_OPTIONS_USAGE, type Command, formatTable } from '../command.js';
import {
  type CliContext,
  RESOURCE_OPTIONS,
  RESOURCE_OPTIONS_USAGE,
  withPipeline,
} from '../stack-resources.js';

/** Everything `oncely status` reports; fields are undefined when their resource is not known. */
export interface PipelineStatus {
  readonly queue: QueueStatus;
  readonly deadLetterQueue: QueueStatus | undefined;
  readonly eventSourceMapping:
    | {
        readonly id: string;
        readonly state: string | undefined;
        readonly maximumConcurrency: number | undefined;
      }
    | undefined;
  readonly degradationLevel: string | undefined;
  readonly lastAudit:
    | {
        readonly finishedAt: string;
        readonly missing: number;
        readonly inFlight: number;
        readonly deadLettered: number;
      }
    | undefined;
}

export interface QueueStatus {
  readonly url: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** Seconds; from CloudWatch, else from the SentTimestamp of a sampled message (a lower bound). */
  readonly ageOfOldestSeconds: number | undefined;
  readonly ageSource: 'cloudwatch' | 'sampled' | undefined;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Queue depths, age of oldest, DLQ depth, consumer concurrency, degradation, missing count',
  usage: `Usage: oncely status [--no-peek] [options]

Shows the pipeline at a glance: messages waiting, in flight and delayed, the age of the oldest
message (CloudWatch ApproximateAgeOfOldestMessage, else sampled from one peek's SentTimestamp),
the DLQ depth, the event source mapping's maximum concurrency, the degradation level and the
missing count of the last audit.

Options:
  --no-peek     never peek to estimate the age of the oldest message (a peek counts as a receive)
${AWS_OPTIONS_USAGE}
${RESOURCE_OPTIONS_USAGE}
  -h, --help    show this help`,
  options: { ...AWS_OPTIONS, ...RESOURCE_OPTIONS, 'no-peek': { type: 'boolean' } },
  async run(values) {
    const status = await withPipeline(values, (context) => readStatus(context, values['no-peek'] !== true));
    if (values.json) console.log(JSON.stringify(status, null, 2));
    else console.log(renderStatus(status));
    return 0;
  },
};

/** What `oncely status` reports, read as it prints it; the console's numbers come from here too. */
export async function readStatus(context: CliContext, mayPeek: boolean): Promise<PipelineStatus> {
  const { sqs, cloudwatch, lambda, documents } = context.clients;
  const queue = await queueStatus(sqs, cloudwatch, context.require('queueUrl'), mayPeek);
  const dlqUrl = context.optional('deadLetterQueueUrl');
  const deadLetterQueue = dlqUrl ? await queueStatus(sqs, cloudwatch, dlqUrl, mayPeek) : undefined;

  const mappingId = context.optional('eventSourceMappingId');
  let eventSourceMapping: PipelineStatus['eventSourceMapping'];
  if (mappingId) {
    const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingId }));
    eventSourceMapping = {
      id: mappingId,
      state: mapping.State,
      maximumConcurrency: mapping.ScalingConfig?.MaximumConcurrency,
    };
  }

  const controlTable = context.optional('controlTable');
  let degradationLevel: string | undefined;
  let lastAudit: PipelineStatus['lastAudit'];
  if (controlTable) {
    degradationLevel = await new DynamoDbDegradationReader(documents, controlTable).read();
    const report = await new DynamoDbAuditStore(documents, {
      claims: context.optional('claimsTable') ?? '',
      leases: context.optional('leasesTable') ?? '',
      control: controlTable,
    }).loadReport();
    if (report)
      lastAudit = {
        finishedAt: report.finishedAt,
        missing: report.counts.missing,
        inFlight: report.counts['in-flight'],
        deadLettered: report.counts['dead-lettered'],
      };
  }
  return { queue, deadLetterQueue, eventSourceMapping, degradationLevel, lastAudit };
}

/** One queue's counts and age of the oldest message, as `oncely status` shows them. */
export async function queueStatus(
  sqs: SQSClient,
  cloudwatch: CloudWatchClient,
  url: string,
  mayPeek: boolean,
): Promise<QueueStatus> {
  const counts = await readQueueCounts(sqs, url);
  let ageOfOldestSeconds = await ageFromCloudWatch(cloudwatch, url.split('/').at(-1) ?? '');
  let ageSource: QueueStatus['ageSource'] = ageOfOldestSeconds === undefined ? undefined : 'cloudwatch';
  if (ageOfOldestSeconds === undefined && mayPeek && counts.visible > 0) {
    // One receive of up to ten messages: a sample, so the true oldest may be older still.
    const sample = await peekMessages(sqs, url, { maxMessages: 10, maxReceives: 1 });
    const sent = sample.map((message) => Number(message.Attributes?.SentTimestamp)).filter(Number.isFinite);
    if (sent.length) {
      ageOfOldestSeconds = Math.max(0, Math.round((Date.now() - Math.min(...sent)) / 1000));
      ageSource = 'sampled';
    }
  }
  return {
    url,
    visible: counts.visible,
    inFlight: counts.inFlight,
    delayed: counts.delayed,
    ageOfOldestSeconds,
    ageSource,
  };
}

/** The latest ApproximateAgeOfOldestMessage datapoint of the last 15 minutes, if CloudWatch has one. */
async function ageFromCloudWatch(
  cloudwatch: CloudWatchClient,
  queueName: string,
): Promise<number | undefined> {
  try {
    const now = Date.now();
    const { Datapoints: points = [] } = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: queueName }],
        StartTime: new Date(now - 15 * 60_000),
        EndTime: new Date(now),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    const latest = points.sort((a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0))[0];
    return latest?.Maximum;
  } catch {
    // No CloudWatch (an emulator without it, or no permission): fall back to sampling.
    return undefined;
  }
}

function renderStatus(status: PipelineStatus): string {
  const age = (queue: QueueStatus) =>
    queue.ageOfOldestSeconds === undefined
      ? '-'
      : `${queue.ageOfOldestSeconds}s${queue.ageSource === 'sampled' ? ' (sampled, at least)' : ''}`;
  const queues = [
    { queue: 'source', ...status.queue, age: age(status.queue) },
    ...(status.deadLetterQueue
      ? [{ queue: 'dead-letter', ...status.deadLetterQueue, age: age(status.deadLetterQueue) }]
      : []),
  ];
  const mapping = status.eventSourceMapping;
  const audit = status.lastAudit;
  return [
    formatTable(queues, ['queue', 'visible', 'inFlight', 'delayed', 'age']),
    '',
    `Consumer concurrency: ${mapping ? `${mapping.maximumConcurrency ?? 'unbounded'} max (${mapping.state ?? '?'})` : '-'}`,
    `Degradation level:    ${status.degradationLevel ?? '-'}`,
    `Messages missing:     ${audit ? `${audit.missing} (audit ${audit.finishedAt})` : 'no audit yet'}`,
  ].join('\n');
}
