/**
 * Builds the monitoring half of the local cloud - CloudWatch, EventBridge and SNS - wired to each
 * other in-process (alarm actions publish to SNS, alarm state changes go onto the event bus) and
 * to Lambda and SQS through the FunctionInvoker and QueueSender ports.
 */

import {
  DeliveryTracker,
  type EndpointSource,
  type FunctionInvoker,
  type QueueSender,
  SdkFunctionInvoker,
  SdkQueueSender,
} from '../events/delivery.js';
import { ScaledTime } from '../events/scaled-time.js';
import { EventsService } from '../events/service.js';
import type { ServiceContext } from '../protocol.js';
import { SnsService } from '../sns/service.js';
import { AlarmRegistry } from './alarms.js';
import { MetricStore } from './metric-store.js';
import { type QueueStatsSource, SdkQueueStatsSource } from './queue-metrics.js';
import { CloudWatchService } from './service.js';
import { monitoringResourceHandlers } from './template-resources.js';

export interface MonitoringOptions {
  /**
   * Alarm periods and schedules run this many times faster than real time (30: a 60 s period
   * takes 2 s). @default 1
   */
  readonly timeScale?: number;
  /**
   * Clock milliseconds between evaluation/scheduler ticks; 0 turns the timer off (tests then call
   * `evaluateNow()`). @default 5000 / timeScale, between 50 and 5000
   */
  readonly tickMs?: number;
  /** @default Lambda Invoke (InvocationType Event) through the SDK against the local endpoint */
  readonly invoker?: FunctionInvoker;
  /** @default SQS SendMessage through the SDK against the local endpoint */
  readonly queues?: QueueSender;
  /**
   * Source of AWS/SQS metrics; `false` turns them off.
   * @default ListQueues + GetQueueAttributes through the SDK against the local endpoint
   */
  readonly queueStats?: QueueStatsSource | false;
}

export interface MonitoringServices {
  readonly cloudwatch: CloudWatchService;
  readonly events: EventsService;
  readonly sns: SnsService;
}

/**
 * Creates the three services. `endpoint` returns the local cloud's URL once it listens; the
 * default invoker, sender and queue statistics use it.
 */
export function createMonitoringServices(
  context: ServiceContext,
  options: MonitoringOptions & { readonly endpoint?: EndpointSource } = {},
): MonitoringServices {
  const endpoint: EndpointSource = options.endpoint ?? (() => undefined);
  const time = new ScaledTime(context.clock, options.timeScale ?? 1);
  const deliveries = new DeliveryTracker(() => context.clock.now());
  const invoker = options.invoker ?? new SdkFunctionInvoker(endpoint);
  const queues = options.queues ?? new SdkQueueSender(endpoint);

  const sns = new SnsService(context, { invoker, queues, deliveries });
  const events = new EventsService({
    time,
    invoker,
    queues,
    deliveries,
    publishToTopic: (topicArn, message) => {
      sns.publish(topicArn, { message });
    },
  });
  const store = new MetricStore();
  const alarms = new AlarmRegistry(store, time, {
    invoker,
    deliveries,
    publishToTopic: (topicArn, subject, message) => {
      sns.publish(topicArn, { subject, message });
    },
    putEvent: (entry) => {
      events.putEvent(entry);
    },
  });
  const queueStats =
    options.queueStats === false ? undefined : (options.queueStats ?? new SdkQueueStatsSource(endpoint));
  const tickMs = options.tickMs ?? Math.min(5000, Math.max(50, Math.round(5000 / time.timeScale)));
  const cloudwatch = new CloudWatchService({
    time,
    store,
    alarms,
    deliveries,
    tickMs,
    onTick: () => events.tick(),
    ...(queueStats ? { queueStats } : {}),
  });

  const close = cloudwatch.close.bind(cloudwatch);
  cloudwatch.close = () => {
    close();
    for (const closable of [invoker, queues, queueStats] as { close?: () => void }[]) closable?.close?.();
  };
  const services = { cloudwatch, events, sns };
  cloudwatch.resourceHandlers = monitoringResourceHandlers(services);
  return services;
}
