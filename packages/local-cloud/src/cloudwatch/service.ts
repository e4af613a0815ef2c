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
import type {
  AlarmRegistry,
  AlarmsSnapshot,
  MetricAlarm,
  MetricAlarmConfiguration,
  MetricDataQuery,
} from './alarms.js';
import { extractEmbeddedMetrics } from './embedded-metrics.js';
import { type LambdaInvocationRecord, LambdaPlatformMetrics } from './lambda-platform-metrics.js';

export type { LambdaInvocationRecord } from './lambda-platform-metrics.js';

import { evaluateExpression, MetricMathError, type Series } from './metric-math.js';
import type {
  Dimension,
  MetricIdentity,
  MetricRecord,
  MetricStore,
  MetricStoreSnapshot,
} from './metric-store.js';
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
      changed = this.alarms.evaluateAll();
      this.dependencies.onTick?.();
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
      const input = (request.input ?? {}) as Record<string, unknown>;
      return jsonResponse(this.handle(request.operation, input, request.region));
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return jsonErrorResponse(error, NAMESPACE, {
        queryErrorCode: QUERY_ERROR_CODES[error.code] ?? error.code,
      });
    }
  }

  private handle(operation: string, input: Record<string, unknown>, region: string): unknown {
    switch (operation) {
      case 'PutMetricData':
        this.putMetricData(input);
        return {};
      case 'GetMetricData':
        return this.getMetricData(input);
      case 'GetMetricStatistics':
        return this.getMetricStatistics(input);
      case 'ListMetrics':
        return {
          Metrics: this.store
            .list({
              ...(typeof input.Namespace === 'string' ? { namespace: input.Namespace } : {}),
              ...(typeof input.MetricName === 'string' ? { metricName: input.MetricName } : {}),
              ...(Array.isArray(input.Dimensions)
                ? { dimensions: input.Dimensions as { Name: string; Value?: string }[] }
                : {}),
            })
            .map(renderMetric),
        };
      case 'PutMetricAlarm':
        this.alarms.put(input as unknown as MetricAlarmConfiguration, region);
        return {};
      case 'DescribeAlarms':
        return this.describeAlarms(input);
      case 'DescribeAlarmsForMetric': {
        const metric = identity(input);
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
        this.alarms.delete(stringList(input.AlarmNames));
        return {};
      case 'SetAlarmState':
        this.alarms.setState(
          requireString(input, 'AlarmName'),
          requireString(input, 'StateValue'),
          requireString(input, 'StateReason'),
          typeof input.StateReasonData === 'string' ? input.StateReasonData : undefined,
        );
        return {};
      case 'EnableAlarmActions':
      case 'DisableAlarmActions':
        this.alarms.setActionsEnabled(stringList(input.AlarmNames), operation === 'EnableAlarmActions');
        return {};
      case 'DescribeAlarmHistory': {
        const items = this.alarms.historyItems({
          ...(typeof input.AlarmName === 'string' ? { alarmName: input.AlarmName } : {}),
          ...(typeof input.HistoryItemType === 'string' ? { type: input.HistoryItemType } : {}),
          ...(input.StartDate !== undefined ? { start: toMillis(input.StartDate) } : {}),
          ...(input.EndDate !== undefined ? { end: toMillis(input.EndDate) } : {}),
        });
        const ordered = input.ScanBy === 'TimestampAscending' ? items : [...items].reverse();
        const max = typeof input.MaxRecords === 'number' ? input.MaxRecords : 100;
        return {
          AlarmHistoryItems: ordered
            .slice(0, max)
            .map((item) => ({ ...item, Timestamp: item.Timestamp / 1000 })),
        };
      }
      case 'PutDashboard':
        return this.putDashboard(input);
      case 'GetDashboard': {
        const name = requireString(input, 'DashboardName');
        const dashboard = this.dashboards.get(name);
        if (!dashboard) throw new AwsError('DashboardNotFoundError', `Dashboard ${name} does not exist`, 404);
        return { DashboardArn: dashboardArn(name), DashboardBody: dashboard.body, DashboardName: name };
      }
      case 'ListDashboards': {
        const prefix = typeof input.DashboardNamePrefix === 'string' ? input.DashboardNamePrefix : '';
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
        const names = stringList(input.DashboardNames);
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

  putDashboard(input: Record<string, unknown>): unknown {
    const name = requireString(input, 'DashboardName');
    const body = requireString(input, 'DashboardBody');
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

  private putMetricData(input: Record<string, unknown>): void {
    const namespace = requireString(input, 'Namespace');
    if (namespace.startsWith('AWS/')) {
      throw new AwsError(
        'InvalidParameterValueException',
        `The value ${namespace} for parameter Namespace is invalid: the AWS/ prefix is reserved.`,
      );
    }
    const data = input.MetricData;
    if (!Array.isArray(data) || data.length === 0) {
      throw new AwsError('MissingRequiredParameterException', 'The parameter MetricData is required.');
    }
    if (data.length > 1000) {
      throw new AwsError(
        'InvalidParameterValueException',
        'The collection MetricData must not have more than 1000 entries.',
      );
    }
    const now = this.dependencies.time.now();
    const recorded: [MetricIdentity, RecordedDatum][] = [];
    for (const entry of data as Record<string, unknown>[]) {
      const metricName = requireString(entry, 'MetricName');
      const timestamp = entry.Timestamp !== undefined ? toMillis(entry.Timestamp) : now;
      const unit = typeof entry.Unit === 'string' ? entry.Unit : undefined;
      const metric: MetricIdentity = {
        namespace,
        metricName,
        dimensions: (entry.Dimensions ?? []) as Dimension[],
      };
      let datum: RecordedDatum | undefined;
      if (entry.StatisticValues) {
        const stats = entry.StatisticValues as Record<string, number>;
        for (const key of ['SampleCount', 'Sum', 'Minimum', 'Maximum']) {
          if (typeof stats[key] !== 'number') {
            throw new AwsError(
              'MissingRequiredParameterException',
              `The parameter StatisticValues.${key} is required.`,
            );
          }
        }
        datum = {
          timestamp,
          sum: stats.Sum!,
          sampleCount: stats.SampleCount!,
          minimum: stats.Minimum!,
          maximum: stats.Maximum!,
          ...(unit ? { unit } : {}),
        };
      } else if (Array.isArray(entry.Values)) {
        const counts = Array.isArray(entry.Counts) ? (entry.Counts as number[]) : undefined;
        if (counts && counts.length !== entry.Values.length) {
          throw new AwsError(
            'InvalidParameterValueException',
            'The Values and Counts arrays must have the same length.',
          );
        }
        datum = datumFromValues(timestamp, entry.Values as number[], counts, unit);
      } else if (typeof entry.Value === 'number') {
        datum = datumFromValues(timestamp, [entry.Value], undefined, unit);
      } else {
        throw new AwsError(
          'MissingRequiredParameterException',
          'One of Value, Values or StatisticValues is required for each metric datum.',
        );
      }
      if (datum) recorded.push([metric, datum]);
    }
    // Validate everything before recording anything: PutMetricData is all or nothing.
    for (const [metric, datum] of recorded) this.store.record(metric, datum);
  }

  private getMetricData(input: Record<string, unknown>): unknown {
    const queries = (input.MetricDataQueries ?? []) as MetricDataQuery[];
    if (queries.length === 0) {
      throw new AwsError('MissingRequiredParameterException', 'The parameter MetricDataQueries is required.');
    }
    const start = toMillis(input.StartTime);
    const end = toMillis(input.EndTime);
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
    const descending = input.ScanBy !== 'TimestampAscending';
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
            Timestamps: points.map(([timestamp]) => timestamp / 1000),
            Values: points.map(([, value]) => value),
            StatusCode: 'Complete',
          };
        }),
      Messages: [],
    };
  }

  private getMetricStatistics(input: Record<string, unknown>): unknown {
    const metric = identity(input);
    const start = toMillis(input.StartTime);
    const end = toMillis(input.EndTime);
    const period = input.Period;
    if (typeof period !== 'number' || period < 1) {
      throw new AwsError('MissingRequiredParameterException', 'The parameter Period is required.');
    }
    const statistics = stringList(input.Statistics);
    const extended = stringList(input.ExtendedStatistics);
    if (statistics.length + extended.length === 0) {
      throw new AwsError(
        'MissingRequiredParameterException',
        'Statistics or ExtendedStatistics is required.',
      );
    }
    return {
      Label: metric.metricName,
      Datapoints: this.store.periods(metric, start, end, period * 1000).map(([timestamp, data]) => {
        const point: Record<string, unknown> = { Timestamp: timestamp / 1000 };
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

  private describeAlarms(input: Record<string, unknown>): unknown {
    const names = stringList(input.AlarmNames);
    const prefix = typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : undefined;
    const actionPrefix = typeof input.ActionPrefix === 'string' ? input.ActionPrefix : undefined;
    const state = typeof input.StateValue === 'string' ? input.StateValue : undefined;
    const types = stringList(input.AlarmTypes);
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
    const offset = typeof input.NextToken === 'string' ? Number(input.NextToken) || 0 : 0;
    const max = typeof input.MaxRecords === 'number' ? input.MaxRecords : 100;
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

function identity(input: Record<string, unknown>): MetricIdentity {
  return {
    namespace: requireString(input, 'Namespace'),
    metricName: requireString(input, 'MetricName'),
    dimensions: (input.Dimensions ?? []) as Dimension[],
  };
}

function dashboardArn(name: string): string {
  return `arn:aws:cloudwatch::${LOCAL_ACCOUNT_ID}:dashboard/${name}`;
}

/** JSON-protocol timestamps are epoch seconds; ISO strings are accepted too. */
function toMillis(value: unknown): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string') {
    const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new AwsError('InvalidParameterValueException', `Invalid timestamp ${String(value)}`);
}

function requireString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError('MissingRequiredParameterException', `The parameter ${name} is required.`);
  }
  return value;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
