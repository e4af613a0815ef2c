/**
 * Local CloudWatch over AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`, the
 * protocol the current SDK speaks; it is awsQueryCompatible, so errors also carry
 * `x-amzn-query-error`). Metrics, metric alarms, alarm history and dashboards, plus the in-process
 * API the rest of the local cloud feeds: EMF log lines, Lambda invocation metrics, SQS metrics.
 */
import type { ResourceHandler } from '../deploy/resource-handlers.js';
import type { DeliveryTracker } from '../events/delivery.js';
import type { ScaledTime } from '../events/scaled-time.js';
import {
  AwsError,
  type JournaledState,
  jsonErrorResponse,
  jsonResponse,
  LOCAL_ACCOUNT_ID,
  type LocalService,
  type ServiceRequest,
  type ServiceResponse,
} from '../protocol.js';
import type { AlarmRegistry, AlarmsSnapshot, MetricAlarm, MetricAlarmConfiguration } from './alarms.js';
import { extractEmbeddedMetrics } from './embedded-metrics.js';
import {
  dimensionFilters,
  dimensions,
  type Input,
  list,
  metricDataQueries,
  metricValue,
  number,
  optionalStructure,
  requiredString,
  STATISTICS,
  string,
  stringList,
  structure,
  structures,
  timestamp,
  UNITS,
} from './input.js';
import { type LambdaInvocationRecord, LambdaPlatformMetrics } from './lambda-platform-metrics.js';

export type { LambdaInvocationRecord } from './lambda-platform-metrics.js';

import { evaluateExpression, MetricMathError, type Series } from './metric-math.js';
import type { MetricIdentity, MetricRecord, MetricStore, MetricStoreSnapshot } from './metric-store.js';
import { CounterDeltas, type QueueStatsSource, SQS_COUNTERS, SQS_GAUGES } from './queue-metrics.js';
import { computeStatistic, datumFromValues, isSupportedStatistic, type RecordedDatum } from './statistics.js';

const NAMESPACE = 'com.amazonaws.cloudwatch';

/** Error shape -> the code the query protocol used (awsQueryCompatible clients read it). */
const QUERY_ERROR_CODES: Record<string, string> = {
  InvalidParameterValueException: 'InvalidParameterValue',
  MissingRequiredParameterException: 'MissingParameter',
  InvalidParameterCombinationException: 'InvalidParameterCombination',
  ResourceNotFound: 'ResourceNotFound',
  DashboardNotFoundError: 'ResourceNotFound',
  DashboardInvalidInputError: 'InvalidParameterInput',
  InvalidFormatFault: 'InvalidFormat',
  InvalidNextToken: 'InvalidNextToken',
  LimitExceededFault: 'LimitExceeded',
};

interface Dashboard {
  readonly name: string;
  readonly body: string;
  readonly lastModified: number;
}

interface CloudWatchSnapshot {
  readonly metrics: MetricStoreSnapshot;
  readonly alarms: AlarmsSnapshot;
  readonly dashboards: Dashboard[];
}

export interface CloudWatchServiceDependencies {
  readonly time: ScaledTime;
  readonly store: MetricStore;
  readonly alarms: AlarmRegistry;
  readonly deliveries: DeliveryTracker;
  /** Where AWS/SQS metrics come from; none when absent. */
  readonly queueStats?: QueueStatsSource;
  /** Other work to run on each tick after alarm evaluation (the EventBridge scheduler). */
  readonly onTick?: () => void;
  /** Evaluation/scheduler interval in clock milliseconds; 0 disables the timer. */
  readonly tickMs: number;
  /** Metric data kept in snapshots, in milliseconds back from now. @default 1 hour */
  readonly snapshotMetricsMs?: number;
}

export class CloudWatchService implements LocalService {
  readonly signingNames = ['monitoring'];
  readonly targetPrefixes = ['GraniteServiceVersion20100801'];
  /** CloudFormation handlers of the monitoring resource types; the template deployer finds them here. */
  resourceHandlers: Record<string, ResourceHandler> = {};
  private readonly dashboards = new Map<string, Dashboard>();
  private readonly counters = new CounterDeltas();
  private readonly timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly platform = new LambdaPlatformMetrics({
    invocation: (record) => this.recordLambdaInvocation(record),
    concurrency: (functionName, running) => this.recordLambdaConcurrency(functionName, running),
  });

  constructor(private readonly dependencies: CloudWatchServiceDependencies) {
    if (dependencies.tickMs > 0) {
      this.timer = setInterval(() => {
        void this.evaluateNow().catch((error: unknown) =>
          console.error('local cloudwatch: tick failed', error),
        );
      }, dependencies.tickMs);
      this.timer.unref();
    }
  }

  get store(): MetricStore {
    return this.dependencies.store;
  }

  get alarms(): AlarmRegistry {
    return this.dependencies.alarms;
  }

  /**
   * One tick, now: samples the SQS metrics, evaluates every alarm (firing actions of those that
   * change state), then runs the scheduler. Ticks never overlap; a call during a tick waits for it.
   */
  async evaluateNow(): Promise<number> {
    while (this.ticking) await this.ticking;
    let changed = 0;
    const tick = (async () => {
      await this.sampleQueues();
      this.store.prune(this.dependencies.time.now());
      // Each alarm is isolated inside evaluateAll; this keeps the schedules running even if
      // something outside one alarm fails.
      try {
        changed = this.alarms.evaluateAll();
      } catch (error) {
        console.error('local cloudwatch: alarm evaluation failed', error);
      }
      try {
        this.dependencies.onTick?.();
      } catch (error) {
        console.error('local cloudwatch: the scheduler tick failed', error);
      }
    })();
    this.ticking = tick;
    try {
      await tick;
    } finally {
      this.ticking = undefined;
    }
    return changed;
  }

  /** Resolves once every alarm action and event delivery in flight has finished. */
  settle(): Promise<void> {
    return this.dependencies.deliveries.settle();
  }

  /**
   * Reads one log line of a function: platform lines (START, REPORT, errors, timeouts) become
   * AWS/Lambda metrics, EMF lines become their metrics. Returns how many EMF metric values it carried.
   */
  ingestLogLine(line: string, source: { readonly functionName?: string } = {}): number {
    if (source.functionName && this.platform.line(source.functionName, line)) return 0;
    const extracted = extractEmbeddedMetrics(line, this.dependencies.time.now());
    for (const { metric, datum } of extracted) this.store.record(metric, datum);
    return extracted.length;
  }

  /**
   * Lambda's own metrics (AWS/Lambda, dimension FunctionName) for one invocation. Functions' log
   * lines already feed this through `ingestLogLine`; call it directly only for what never reaches
   * a function's log - throttles - or for invocations of a runtime that prints no REPORT lines.
   */
  recordLambdaInvocation(record: LambdaInvocationRecord): void {
    const timestamp = record.timestamp ?? this.dependencies.time.now();
    const dimensions = [{ Name: 'FunctionName', Value: record.functionName }];
    const put = (metricName: string, value: number, unit: string) => {
      const datum = datumFromValues(timestamp, [value], undefined, unit);
      if (datum) this.store.record({ namespace: 'AWS/Lambda', metricName, dimensions }, datum);
    };
    if (record.throttled) {
      put('Throttles', 1, 'Count');
      return;
    }
    put('Invocations', 1, 'Count');
    put('Errors', record.error ? 1 : 0, 'Count');
    put('Duration', record.durationMs, 'Milliseconds');
    if (record.concurrentExecutions !== undefined) {
      put('ConcurrentExecutions', record.concurrentExecutions, 'Count');
    }
  }

  private recordLambdaConcurrency(functionName: string, running: number): void {
    const datum = datumFromValues(this.dependencies.time.now(), [running], undefined, 'Count');
    if (!datum) return;
    const dimensions = [{ Name: 'FunctionName', Value: functionName }];
    this.store.record({ namespace: 'AWS/Lambda', metricName: 'ConcurrentExecutions', dimensions }, datum);
  }

  private async sampleQueues(): Promise<void> {
    const source = this.dependencies.queueStats;
    if (!source) return;
    let stats: Awaited<ReturnType<QueueStatsSource['queueStats']>>;
    try {
      stats = await source.queueStats();
    } catch {
      // The SQS endpoint may not be up yet (or stopping); the next tick samples again.
      return;
    }
    const timestamp = this.dependencies.time.now();
    const minute = Math.max(1, Math.round(this.dependencies.time.scaled(60_000)));
    for (const queue of stats) {
      const dimensions = [{ Name: 'QueueName', Value: queue.queueName }];
      for (const [metricName, field] of Object.entries(SQS_GAUGES)) {
        const value = queue[field];
        if (value === undefined) continue;
        const datum = datumFromValues(
          timestamp,
          [value],
          undefined,
          field === 'oldestMessageAgeSeconds' ? 'Seconds' : 'Count',
        );
        if (datum) this.store.recordGauge({ namespace: 'AWS/SQS', metricName, dimensions }, datum, minute);
      }
      for (const [metricName, field] of Object.entries(SQS_COUNTERS)) {
        const value = queue[field];
        if (value === undefined) continue;
        const datum = datumFromValues(
          timestamp,
          [this.counters.delta(queue.queueName, field, value)],
          undefined,
          'Count',
        );
        if (datum) this.store.record({ namespace: 'AWS/SQS', metricName, dimensions }, datum);
      }
    }
  }

  async dispatch(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      if (request.protocol !== 'json') {
        throw new AwsError('InvalidAction', 'The local CloudWatch speaks AWS JSON 1.0 only.');
      }
      const input = structure(request.input ?? {}, 'input');
      return jsonResponse(this.handle(request.operation, input, request.region));
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return jsonErrorResponse(error, NAMESPACE, {
        queryErrorCode: QUERY_ERROR_CODES[error.code] ?? error.code,
      });
    }
  }

  private handle(operation: string, input: Input, region: string): unknown {
    switch (operation) {
      case 'PutMetricData':
        this.putMetricData(input);
        return {};
      case 'GetMetricData':
        return this.getMetricData(input);
      case 'GetMetricStatistics':
        return this.getMetricStatistics(input);
      case 'ListMetrics': {
        const namespace = string(input, 'Namespace', { min: 1, max: 255 });
        const metricName = string(input, 'MetricName', { min: 1, max: 255 });
        const filters = dimensionFilters(input, 'Dimensions');
        return {
          Metrics: this.store
            .list({
              ...(namespace !== undefined ? { namespace } : {}),
              ...(metricName !== undefined ? { metricName } : {}),
              ...(filters.length > 0 ? { dimensions: filters } : {}),
            })
            .map(renderMetric),
        };
      }
      case 'PutMetricAlarm':
        this.alarms.put(input as unknown as MetricAlarmConfiguration, region);
        return {};
      case 'DescribeAlarms':
        return this.describeAlarms(input);
      case 'DescribeAlarmsForMetric': {
        const metric = identity(input);
        string(input, 'Statistic', { values: STATISTICS });
        number(input, 'Period', { integer: true, min: 1 });
        string(input, 'Unit', { values: UNITS });
        return {
          MetricAlarms: this.alarms
            .list()
            .filter(
              (alarm) =>
                alarm.configuration.Namespace === metric.namespace &&
                alarm.configuration.MetricName === metric.metricName,
            )
            .map(renderAlarm),
        };
      }
      case 'DeleteAlarms':
        this.alarms.delete(alarmNames(input, true));
        return {};
      case 'SetAlarmState':
        this.alarms.setState(
          requiredString(input, 'AlarmName', { max: 255 }),
          requiredString(input, 'StateValue', { values: ['OK', 'ALARM', 'INSUFFICIENT_DATA'] }),
          requiredString(input, 'StateReason', { min: 0, max: 1023 }),
          string(input, 'StateReasonData', { max: 4000 }),
        );
        return {};
      case 'EnableAlarmActions':
      case 'DisableAlarmActions':
        this.alarms.setActionsEnabled(alarmNames(input, true), operation === 'EnableAlarmActions');
        return {};
      case 'DescribeAlarmHistory': {
        const alarmName = string(input, 'AlarmName', { min: 1, max: 255 });
        const type = string(input, 'HistoryItemType', { values: HISTORY_ITEM_TYPES });
        const start = timestamp(input, 'StartDate');
        const end = timestamp(input, 'EndDate');
        const scanBy = string(input, 'ScanBy', { values: SCAN_BY });
        const max = number(input, 'MaxRecords', { integer: true, min: 1, max: 100 }) ?? 100;
        const items = this.alarms.historyItems({
          ...(alarmName !== undefined ? { alarmName } : {}),
          ...(type !== undefined ? { type } : {}),
          ...(start !== undefined ? { start } : {}),
          ...(end !== undefined ? { end } : {}),
        });
        const ordered = scanBy === 'TimestampAscending' ? items : [...items].reverse();
        return {
          AlarmHistoryItems: ordered
            .slice(0, max)
            .map((item) => ({ ...item, Timestamp: item.Timestamp / 1000 })),
        };
      }
      case 'PutDashboard':
        return this.putDashboard(input);
      case 'GetDashboard': {
        const name = requiredString(input, 'DashboardName', { max: 255 });
        const dashboard = this.dashboards.get(name);
        if (!dashboard) throw new AwsError('DashboardNotFoundError', `Dashboard ${name} does not exist`, 404);
        return { DashboardArn: dashboardArn(name), DashboardBody: dashboard.body, DashboardName: name };
      }
      case 'ListDashboards': {
        const prefix = string(input, 'DashboardNamePrefix', { max: 255 }) ?? '';
        return {
          DashboardEntries: [...this.dashboards.values()]
            .filter((dashboard) => dashboard.name.startsWith(prefix))
            .map((dashboard) => ({
              DashboardName: dashboard.name,
              DashboardArn: dashboardArn(dashboard.name),
              LastModified: dashboard.lastModified / 1000,
              Size: Buffer.byteLength(dashboard.body),
            })),
        };
      }
      case 'DeleteDashboards': {
        const names = stringList(input, 'DashboardNames', { required: true, item: { max: 255 } });
        const missing = names.filter((name) => !this.dashboards.has(name));
        if (missing.length > 0) {
          throw new AwsError('DashboardNotFoundError', `Dashboard ${missing.join(', ')} does not exist`, 404);
        }
        for (const name of names) this.dashboards.delete(name);
        return {};
      }
      case 'TagResource':
      case 'UntagResource':
        return {};
      case 'ListTagsForResource':
        return { Tags: [] };
      default:
        throw new AwsError(
          'InvalidAction',
          `Operation ${operation} is not supported by the local CloudWatch.`,
        );
    }
  }

  putDashboard(input: Input): unknown {
    // API_PutDashboard.html: "A-Z, a-z, 0-9, "-", and "_"", up to 255 characters.
    const name = requiredString(input, 'DashboardName', { max: 255, pattern: /^[A-Za-z0-9_-]+$/ });
    const body = requiredString(input, 'DashboardBody');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new AwsError('DashboardInvalidInputError', 'The field DashboardBody must be a valid JSON object');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AwsError('DashboardInvalidInputError', 'The field DashboardBody must be a valid JSON object');
    }
    this.dashboards.set(name, { name, body, lastModified: this.dependencies.time.now() });
    return { DashboardValidationMessages: [] };
  }

  /**
   * API_PutMetricData.html: Namespace 1-255 characters (not AWS/), at most 1000 datums, each with
   * a MetricName of 1-255, at most 30 dimensions, one of Value, Values (at most 150, with as many
   * Counts) or StatisticValues, values between -2^360 and 2^360.
   */
  private putMetricData(input: Input): void {
    const namespace = requiredString(input, 'Namespace', { max: 255, pattern: /^[^:]/ });
    if (namespace.startsWith('AWS/')) {
      throw new AwsError(
        'InvalidParameterValueException',
        `The value ${namespace} for parameter Namespace is invalid: the AWS/ prefix is reserved.`,
      );
    }
    const data = structures(input, 'MetricData', { required: true, max: 1000 }, 'metricData');
    const now = this.dependencies.time.now();
    const recorded: [MetricIdentity, RecordedDatum][] = [];
    data.forEach((entry, index) => {
      const path = `metricData.${index + 1}`;
      const metricName = requiredString(entry, 'MetricName', { max: 255 }, `${path}.metricName`);
      const timestampMs = timestamp(entry, 'Timestamp') ?? now;
      const unit = string(entry, 'Unit', { values: UNITS }, `${path}.unit`);
      const resolution = number(entry, 'StorageResolution', { integer: true }, `${path}.storageResolution`);
      if (resolution !== undefined && resolution !== 1 && resolution !== 60) {
        throw new AwsError('InvalidParameterValueException', `${path}.StorageResolution must be 1 or 60.`);
      }
      const metric: MetricIdentity = {
        namespace,
        metricName,
        dimensions: dimensions(entry, 'Dimensions', `${path}.dimensions`),
      };
      const stats = optionalStructure(entry, 'StatisticValues', `${path}.statisticValues`);
      const values = list(entry, 'Values', { max: 150 }, `${path}.values`);
      const counts = list(entry, 'Counts', { max: 150 }, `${path}.counts`);
      let datum: RecordedDatum | undefined;
      if (stats) {
        const statistic = (key: string) => {
          if (stats[key] === undefined || stats[key] === null) {
            throw new AwsError(
              'MissingRequiredParameterException',
              `The parameter StatisticValues.${key} is required.`,
            );
          }
          return metricValue(stats[key], `${path}.statisticValues.${key}`);
        };
        datum = {
          timestamp: timestampMs,
          sum: statistic('Sum'),
          sampleCount: statistic('SampleCount'),
          minimum: statistic('Minimum'),
          maximum: statistic('Maximum'),
          ...(unit ? { unit } : {}),
        };
      } else if (values) {
        const numbers = values.map((value, i) => metricValue(value, `${path}.values.${i + 1}`));
        const weights = counts?.map((count, i) => metricValue(count, `${path}.counts.${i + 1}`));
        if (weights && weights.length !== numbers.length) {
          throw new AwsError(
            'InvalidParameterValueException',
            'The Values and Counts arrays must have the same length.',
          );
        }
        datum = datumFromValues(timestampMs, numbers, weights, unit);
      } else if (entry.Value !== undefined && entry.Value !== null) {
        datum = datumFromValues(timestampMs, [metricValue(entry.Value, `${path}.value`)], undefined, unit);
      } else {
        throw new AwsError(
          'MissingRequiredParameterException',
          'One of Value, Values or StatisticValues is required for each metric datum.',
        );
      }
      if (datum) recorded.push([metric, datum]);
    });
    // Validate everything before recording anything: PutMetricData is all or nothing.
    for (const [metric, datum] of recorded) this.store.record(metric, datum);
  }

  /** API_GetMetricData.html: at most 500 queries; StartTime before EndTime. */
  private getMetricData(input: Input): unknown {
    const queries = metricDataQueries(input, 'MetricDataQueries', { required: true, max: 500 });
    const start = timestamp(input, 'StartTime', { required: true })!;
    const end = timestamp(input, 'EndTime', { required: true })!;
    if (start >= end) {
      throw new AwsError(
        'InvalidParameterValueException',
        'The parameter StartTime must be less than the parameter EndTime.',
      );
    }
    const scanBy = string(input, 'ScanBy', { values: SCAN_BY });
    number(input, 'MaxDatapoints', { integer: true, min: 1 });
    const values = new Map<string, Series>();
    const labels = new Map<string, string>();
    for (const query of queries) {
      if (!query.MetricStat) continue;
      const { Metric, Period, Stat } = query.MetricStat;
      if (!isSupportedStatistic(Stat)) {
        throw new AwsError('InvalidParameterValueException', `The statistic ${Stat} is not supported.`);
      }
      const points = this.store.aggregate(
        { namespace: Metric.Namespace, metricName: Metric.MetricName, dimensions: Metric.Dimensions ?? [] },
        start,
        end,
        Period * 1000,
        Stat,
      );
      values.set(query.Id, new Map(points.map((point) => [point.timestamp, point.value])));
      labels.set(query.Id, query.Label ?? Metric.MetricName);
    }
    for (const query of queries) {
      if (!query.Expression) continue;
      try {
        values.set(query.Id, evaluateExpression(query.Expression, values));
      } catch (error) {
        if (error instanceof MetricMathError)
          throw new AwsError('InvalidParameterValueException', error.message);
        throw error;
      }
      labels.set(query.Id, query.Label ?? query.Id);
    }
    const descending = scanBy !== 'TimestampAscending';
    return {
      MetricDataResults: queries
        .filter((query) => query.ReturnData !== false)
        .map((query) => {
          const points = [...(values.get(query.Id) ?? new Map<number, number>())].sort((a, b) =>
            descending ? b[0] - a[0] : a[0] - b[0],
          );
          return {
            Id: query.Id,
            Label: labels.get(query.Id) ?? query.Id,
            Timestamps: points.map(([time]) => time / 1000),
            Values: points.map(([, value]) => value),
            StatusCode: 'Complete',
          };
        }),
      Messages: [],
    };
  }

  /** API_GetMetricStatistics.html: 1-5 Statistics, 1-10 ExtendedStatistics, Period at least 1. */
  private getMetricStatistics(input: Input): unknown {
    const metric = identity(input);
    const start = timestamp(input, 'StartTime', { required: true })!;
    const end = timestamp(input, 'EndTime', { required: true })!;
    const period = number(input, 'Period', { required: true, integer: true, min: 1 })!;
    const statistics = stringList(input, 'Statistics', { max: 5, item: { values: STATISTICS } });
    const extended = stringList(input, 'ExtendedStatistics', { max: 10, item: { max: 255 } });
    string(input, 'Unit', { values: UNITS });
    if (statistics.length + extended.length === 0) {
      throw new AwsError(
        'MissingRequiredParameterException',
        'Statistics or ExtendedStatistics is required.',
      );
    }
    return {
      Label: metric.metricName,
      Datapoints: this.store.periods(metric, start, end, period * 1000).map(([time, data]) => {
        const point: Record<string, unknown> = { Timestamp: time / 1000 };
        for (const statistic of statistics) point[statistic] = computeStatistic(data, statistic);
        if (extended.length > 0) {
          point.ExtendedStatistics = Object.fromEntries(
            extended.map((statistic) => [statistic, computeStatistic(data, statistic)]),
          );
        }
        const unit = data.find((datum) => datum.unit)?.unit;
        point.Unit = unit ?? 'None';
        return point;
      }),
    };
  }

  /** API_DescribeAlarms.html: at most 100 names, MaxRecords 1-100. */
  private describeAlarms(input: Input): unknown {
    const names = alarmNames(input, false);
    const prefix = string(input, 'AlarmNamePrefix', { min: 1, max: 255 });
    const actionPrefix = string(input, 'ActionPrefix', { min: 1, max: 1024 });
    const state = string(input, 'StateValue', { values: ['OK', 'ALARM', 'INSUFFICIENT_DATA'] });
    const types = stringList(input, 'AlarmTypes', { item: { values: ['CompositeAlarm', 'MetricAlarm'] } });
    const max = number(input, 'MaxRecords', { integer: true, min: 1, max: 100 }) ?? 100;
    const token = string(input, 'NextToken');
    if (types.length > 0 && !types.includes('MetricAlarm')) return { MetricAlarms: [], CompositeAlarms: [] };
    const matching = this.alarms.list().filter((alarm) => {
      const config = alarm.configuration;
      if (names.length > 0 && !names.includes(config.AlarmName)) return false;
      if (prefix !== undefined && !config.AlarmName.startsWith(prefix)) return false;
      if (state !== undefined && alarm.state.value !== state) return false;
      if (actionPrefix !== undefined) {
        const actions = [
          ...(config.AlarmActions ?? []),
          ...(config.OKActions ?? []),
          ...(config.InsufficientDataActions ?? []),
        ];
        if (!actions.some((action) => action.startsWith(actionPrefix))) return false;
      }
      return true;
    });
    const offset = token !== undefined ? Math.max(0, Math.floor(Number(token)) || 0) : 0;
    const page = matching.slice(offset, offset + max);
    return {
      MetricAlarms: page.map(renderAlarm),
      CompositeAlarms: [],
      ...(offset + max < matching.length ? { NextToken: String(offset + max) } : {}),
    };
  }

  snapshot(): CloudWatchSnapshot {
    const since = this.dependencies.time.now() - (this.dependencies.snapshotMetricsMs ?? 3600_000);
    return {
      metrics: this.store.snapshot(since),
      alarms: this.alarms.snapshot(),
      dashboards: [...this.dashboards.values()],
    };
  }

  restore(state: unknown): void {
    const snapshot = state as Partial<CloudWatchSnapshot>;
    if (snapshot.metrics) this.store.restore(snapshot.metrics);
    if (snapshot.alarms) this.alarms.restore(snapshot.alarms);
    this.dashboards.clear();
    for (const dashboard of snapshot.dashboards ?? []) this.dashboards.set(dashboard.name, dashboard);
  }

  /**
   * --data-dir (persistence.ts): each metric datum is logged as it is recorded; the alarms (with
   * their state and history) and dashboards are logged whole whenever they changed.
   */
  readonly journaled: JournaledState = {
    attachJournal: (journal) => {
      this.store.journal = journal;
    },
    watchedState: () => ({ alarms: this.alarms.snapshot(), dashboards: [...this.dashboards.values()] }),
    recover: (snapshot, entries) => {
      this.restore(snapshot ?? {});
      for (const entry of entries) {
        if ('watched' in entry) this.restore(entry.watched);
        else {
          const record = entry.record as MetricRecord;
          if (record.t === 'gauge') this.store.recordGauge(record.metric, record.datum, record.periodMs);
          else this.store.record(record.metric, record.datum);
        }
      }
    },
  };

  close(): void {
    clearInterval(this.timer);
  }
}

function renderMetric(metric: MetricIdentity): Record<string, unknown> {
  return { Namespace: metric.namespace, MetricName: metric.metricName, Dimensions: metric.dimensions };
}

function renderAlarm(alarm: MetricAlarm): Record<string, unknown> {
  const config = alarm.configuration;
  return {
    AlarmName: config.AlarmName,
    AlarmArn: alarm.arn,
    ...(config.AlarmDescription !== undefined ? { AlarmDescription: config.AlarmDescription } : {}),
    AlarmConfigurationUpdatedTimestamp: alarm.configurationUpdatedAt / 1000,
    ActionsEnabled: alarm.actionsEnabled,
    OKActions: config.OKActions ?? [],
    AlarmActions: config.AlarmActions ?? [],
    InsufficientDataActions: config.InsufficientDataActions ?? [],
    StateValue: alarm.state.value,
    StateReason: alarm.state.reason,
    ...(alarm.state.reasonData !== undefined ? { StateReasonData: alarm.state.reasonData } : {}),
    StateUpdatedTimestamp: alarm.state.timestamp / 1000,
    StateTransitionedTimestamp: alarm.transitionedAt / 1000,
    ...(config.MetricName !== undefined ? { MetricName: config.MetricName } : {}),
    ...(config.Namespace !== undefined ? { Namespace: config.Namespace } : {}),
    ...(config.Statistic !== undefined ? { Statistic: config.Statistic } : {}),
    ...(config.ExtendedStatistic !== undefined ? { ExtendedStatistic: config.ExtendedStatistic } : {}),
    Dimensions: config.Dimensions ?? [],
    ...(config.Period !== undefined ? { Period: config.Period } : {}),
    ...(config.Unit !== undefined ? { Unit: config.Unit } : {}),
    EvaluationPeriods: config.EvaluationPeriods,
    DatapointsToAlarm: config.DatapointsToAlarm ?? config.EvaluationPeriods,
    Threshold: config.Threshold,
    ComparisonOperator: config.ComparisonOperator,
    TreatMissingData: config.TreatMissingData ?? 'missing',
    ...(config.Metrics ? { Metrics: config.Metrics } : {}),
  };
}

function identity(input: Input): MetricIdentity {
  return {
    namespace: requiredString(input, 'Namespace', { max: 255 }),
    metricName: requiredString(input, 'MetricName', { max: 255 }),
    dimensions: dimensions(input, 'Dimensions'),
  };
}

/** AlarmNames of DeleteAlarms, DescribeAlarms, Enable/DisableAlarmActions: at most 100, 1-255 each. */
function alarmNames(input: Input, required: boolean): string[] {
  return stringList(input, 'AlarmNames', { required, max: 100, item: { max: 255 } });
}

const HISTORY_ITEM_TYPES = [
  'ConfigurationUpdate',
  'StateUpdate',
  'Action',
  'AlarmContributorStateUpdate',
  'AlarmContributorAction',
];
const SCAN_BY = ['TimestampDescending', 'TimestampAscending'];

function dashboardArn(name: string): string {
  return `arn:aws:cloudwatch::${LOCAL_ACCOUNT_ID}:dashboard/${name}`;
}
