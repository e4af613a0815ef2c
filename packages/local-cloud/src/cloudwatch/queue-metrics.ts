/**
 * AWS/SQS metrics for every queue of the local cloud, sampled on each evaluation tick: the gauges
 * (visible, not visible, delayed, age of the oldest message) keep one value per metric period (the
 * latest sample), the counters (sent, received, deleted) add the increase since the last sample.
 */
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EndpointSource } from '../events/delivery.js';
import { DEFAULT_REGION } from '../protocol.js';

/** What the SQS emulator can tell about one queue; counters are cumulative since it started. */
export interface QueueStats {
  readonly queueName: string;
  readonly visible: number;
  readonly notVisible: number;
  readonly delayed: number;
  /** Seconds; absent when unknown (the SQS wire API does not expose it). */
  readonly oldestMessageAgeSeconds?: number;
  readonly sent?: number;
  readonly received?: number;
  readonly deleted?: number;
}

/** Source of queue statistics: the SQS service in-process when it offers `queueStats()`, else the SDK. */
export interface QueueStatsSource {
  queueStats(): Promise<readonly QueueStats[]> | readonly QueueStats[];
}

export const SQS_GAUGES = {
  ApproximateNumberOfMessagesVisible: 'visible',
  ApproximateNumberOfMessagesNotVisible: 'notVisible',
  ApproximateNumberOfMessagesDelayed: 'delayed',
  ApproximateAgeOfOldestMessage: 'oldestMessageAgeSeconds',
} as const satisfies Record<string, keyof QueueStats>;

export const SQS_COUNTERS = {
  NumberOfMessagesSent: 'sent',
  NumberOfMessagesReceived: 'received',
  NumberOfMessagesDeleted: 'deleted',
} as const satisfies Record<string, keyof QueueStats>;

/** Reads queue gauges through ListQueues + GetQueueAttributes against the local endpoint. */
export class SdkQueueStatsSource implements QueueStatsSource {
  private client: SQSClient | undefined;

  constructor(private readonly endpoint: EndpointSource) {}

  async queueStats(): Promise<QueueStats[]> {
    const endpoint = this.endpoint();
    if (!endpoint) return [];
    this.client ??= new SQSClient({
      region: DEFAULT_REGION,
      endpoint,
      credentials: { accessKeyId: 'oncely', secretAccessKey: 'oncely-local' },
      maxAttempts: 1,
    });
    const client = this.client;
    const listed = await client.send(new ListQueuesCommand({ MaxResults: 1000 }));
    const stats: QueueStats[] = [];
    for (const url of listed.QueueUrls ?? []) {
      const { Attributes: attributes = {} } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      stats.push({
        queueName: url.split('/').pop() ?? url,
        visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
        notVisible: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      });
    }
    return stats;
  }

  close(): void {
    this.client?.destroy();
  }
}

/** Turns cumulative counters into per-sample increases, per queue. */
export class CounterDeltas {
  private readonly last = new Map<string, number>();

  /** The increase since the previous reading (the whole value on the first reading). */
  delta(queueName: string, counter: string, value: number): number {
    const key = `${queueName}\u0000${counter}`;
    const previous = this.last.get(key) ?? 0;
    this.last.set(key, value);
    // A counter that went down means the emulator restarted: count from zero again.
    return value >= previous ? value - previous : value;
  }
}
