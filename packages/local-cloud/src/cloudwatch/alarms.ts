/**
 * Metric alarms of the local CloudWatch: their configuration and state, evaluation of every alarm
 * against the metric store on each tick, and what a state change sets off - the alarm's actions
 * (SNS topics, Lambda functions) and an "Alarm State Change" event on the default event bus.
 */

import type { DeliveryTracker, FunctionInvoker } from '../events/delivery.js';
import type { ScaledTime } from '../events/scaled-time.js';
import { AwsError, DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../protocol.js';
import {
  ALARM_STATES,
  type AlarmState,
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  evaluateAlarm,
  TREAT_MISSING_DATA,
  type TreatMissingData,
} from './alarm-evaluation.js';
import type { MetricDataQueryInput } from './input.js';
import {
  boolean,
  constraint,
  dimensions,
  type Input,
  metricDataQueries,
  number,
  requiredString,
  STATISTICS,
  string,
  stringList,
  structure,
  UNITS,
} from './input.js';
import { evaluateExpression, MetricMathError, type Series } from './metric-math.js';
import type { Dimension, MetricStore } from './metric-store.js';
import { isSupportedStatistic } from './statistics.js';

/** One entry of an alarm's `Metrics` array (metric math alarms): the checked MetricDataQuery. */
export type MetricDataQuery = MetricDataQueryInput;

/** PutMetricAlarm's input, as stored. */
export interface MetricAlarmConfiguration {
  readonly AlarmName: string;
  readonly AlarmDescription?: string;
  readonly ActionsEnabled?: boolean;
  readonly OKActions?: readonly string[];
  readonly AlarmActions?: readonly string[];
  readonly InsufficientDataActions?: readonly string[];
  readonly MetricName?: string;
  readonly Namespace?: string;
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Dimensions?: readonly Dimension[];
  readonly Period?: number;
  readonly Unit?: string;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly Threshold?: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData?: string;
  readonly Metrics?: readonly MetricDataQuery[];
}

export interface AlarmStateRecord {
  readonly value: AlarmState;
  readonly reason: string;
  readonly reasonData?: string;
  /** Milliseconds. */
  readonly timestamp: number;
}

export interface MetricAlarm {
  readonly arn: string;
  readonly region: string;
  configuration: MetricAlarmConfiguration;
  actionsEnabled: boolean;
  state: AlarmStateRecord;
  /** When the state value last changed (not merely its reason). */
  transitionedAt: number;
  configurationUpdatedAt: number;
}

export interface AlarmHistoryItem {
  readonly AlarmName: string;
  readonly AlarmType: 'MetricAlarm';
  readonly Timestamp: number;
  readonly HistoryItemType: 'ConfigurationUpdate' | 'StateUpdate' | 'Action';
  readonly HistorySummary: string;
  readonly HistoryData: string;
}

/** Where alarm side effects go; the monitoring composition wires these to SNS and EventBridge. */
export interface AlarmSideEffects {
  readonly invoker: FunctionInvoker;
  readonly deliveries: DeliveryTracker;
  publishToTopic(topicArn: string, subject: string, message: string): void;
  putEvent(entry: {
    Source: string;
    DetailType: string;
    Detail: string;
    Resources: string[];
    Time: Date;
  }): void;
}

export interface AlarmsSnapshot {
  readonly alarms: MetricAlarm[];
  readonly history: AlarmHistoryItem[];
}

const HISTORY_LIMIT = 2000;

/** How CloudWatch names regions in notification subjects (`ALARM: "x" in US East (N. Virginia)`). */
const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
};

/** `2026-11-25T10:00:00.000+0000`, the timestamp form of alarm events and notifications. */
export function alarmTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export class AlarmRegistry {
  private readonly alarms = new Map<string, MetricAlarm>();
  private history: AlarmHistoryItem[] = [];
  /** Alarm evaluations that threw (each is logged once per alarm and message; the others go on). */
  evaluationFailures = 0;
  private readonly lastFailure = new Map<string, string>();

  constructor(
    private readonly store: MetricStore,
    private readonly time: ScaledTime,
    private readonly effects: AlarmSideEffects,
  ) {}

  /**
   * Creates or replaces an alarm; an existing alarm keeps its state, as on AWS. The configuration
   * is read member by member against PutMetricAlarm's shapes and limits, so what is stored is
   * exactly what was validated.
   */
  put(raw: MetricAlarmConfiguration, region = DEFAULT_REGION): MetricAlarm {
    const configuration = readAlarmConfiguration(raw);
    validateAlarm(configuration);
    const now = this.time.now();
    const existing = this.alarms.get(configuration.AlarmName);
    const alarm: MetricAlarm = existing ?? {
      arn: `arn:aws:cloudwatch:${region}:${LOCAL_ACCOUNT_ID}:alarm:${configuration.AlarmName}`,
      region,
      configuration,
      actionsEnabled: configuration.ActionsEnabled ?? true,
      state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', timestamp: now },
      transitionedAt: now,
      configurationUpdatedAt: now,
    };
    alarm.configuration = configuration;
    alarm.actionsEnabled = configuration.ActionsEnabled ?? true;
    alarm.configurationUpdatedAt = now;
    this.alarms.set(configuration.AlarmName, alarm);
    this.addHistory(
      alarm,
      'ConfigurationUpdate',
      `Alarm "${configuration.AlarmName}" ${existing ? 'updated' : 'created'}`,
      {
        type: existing ? 'Update' : 'Create',
        version: '1.0',
      },
    );
    return alarm;
  }

  get(name: string): MetricAlarm | undefined {
    return this.alarms.get(name);
  }

  list(): MetricAlarm[] {
    return [...this.alarms.values()].sort((a, b) =>
      a.configuration.AlarmName < b.configuration.AlarmName ? -1 : 1,
    );
  }

  /** Deletes all named alarms, or none when one of them does not exist. */
  delete(names: readonly string[]): void {
    const missing = names.filter((name) => !this.alarms.has(name));
    if (missing.length > 0)
      throw new AwsError('ResourceNotFound', `Alarm(s) ${missing.join(', ')} not found`, 404);
    for (const name of names) this.alarms.delete(name);
  }

  setActionsEnabled(names: readonly string[], enabled: boolean): void {
    for (const name of names) {
      const alarm = this.alarms.get(name);
      if (alarm) alarm.actionsEnabled = enabled;
    }
  }

  /** SetAlarmState: changes the state until the next evaluation, firing actions like a real change. */
  setState(name: string, value: string, reason: string, reasonData?: string): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new AwsError('ResourceNotFound', `Alarm ${name} not found`, 404);
    if (!(ALARM_STATES as readonly string[]).includes(value)) {
      throw new AwsError('InvalidParameterValueException', `Invalid state value ${value}`);
    }
    if (reasonData !== undefined) {
      try {
        JSON.parse(reasonData);
      } catch {
        throw new AwsError('InvalidFormatFault', 'StateReasonData is not valid JSON');
      }
    }
    this.transition(alarm, {
      value: value as AlarmState,
      reason,
      timestamp: this.time.now(),
      ...(reasonData !== undefined ? { reasonData } : {}),
    });
  }

  historyItems(filter: {
    alarmName?: string;
    type?: string;
    start?: number;
    end?: number;
  }): AlarmHistoryItem[] {
    return this.history.filter(
      (item) =>
        (filter.alarmName === undefined || item.AlarmName === filter.alarmName) &&
        (filter.type === undefined || item.HistoryItemType === filter.type) &&
        (filter.start === undefined || item.Timestamp >= filter.start) &&
        (filter.end === undefined || item.Timestamp <= filter.end),
    );
  }

  /** Evaluates every alarm once against the data in the store. Returns how many changed state. */
  evaluateAll(): number {
    let changed = 0;
    for (const alarm of this.alarms.values()) {
      // One alarm that cannot be evaluated must not stop the others (nor the schedules that run
      // after the alarms on the same tick): it is counted and logged, and keeps its state.
      try {
        if (this.evaluate(alarm)) changed++;
        this.lastFailure.delete(alarm.configuration.AlarmName);
      } catch (error) {
        this.evaluationFailures++;
        const message = error instanceof Error ? error.message : String(error);
        if (this.lastFailure.get(alarm.configuration.AlarmName) !== message) {
          this.lastFailure.set(alarm.configuration.AlarmName, message);
          console.error(
            `local cloudwatch: alarm ${alarm.configuration.AlarmName} could not be evaluated`,
            error,
          );
        }
      }
    }
    return changed;
  }

  private evaluate(alarm: MetricAlarm): boolean {
    const config = alarm.configuration;
    const n = config.EvaluationPeriods;
    const nominalPeriod =
      config.Period ?? config.Metrics?.find((q) => q.MetricStat)?.MetricStat?.Period ?? 60;
    const periodMs = Math.max(1, Math.round(this.time.scaled(nominalPeriod * 1000)));
    const now = this.time.now();
    // The period that contains `now` is still open: it counts as soon as it has data (so fresh
    // data acts at once), but while it is empty it is not yet "missing" - the range then ends
    // with the last complete period. Without this, every period boundary would read as a gap
    // and alarms on metrics published once per period would flap.
    const current = Math.floor(now / periodMs) * periodMs;
    let series: Series;
    try {
      series = this.alarmSeries(config, current - n * periodMs, current + periodMs, periodMs);
    } catch (error) {
      if (!(error instanceof MetricMathError)) throw error;
      series = new Map();
    }
    const newest = series.has(current) ? current : current - periodMs;
    const start = newest - (n - 1) * periodMs;
    const datapoints: (number | undefined)[] = [];
    for (let i = 0; i < n; i++) datapoints.push(series.get(start + i * periodMs));
    const result = evaluateAlarm({
      datapoints,
      threshold: config.Threshold ?? 0,
      comparisonOperator: config.ComparisonOperator as ComparisonOperator,
      datapointsToAlarm: config.DatapointsToAlarm ?? n,
      treatMissingData: (config.TreatMissingData ?? 'missing') as TreatMissingData,
      currentState: alarm.state.value,
    });
    if (result.state === alarm.state.value) return false;
    const recent = datapoints
      .map((value, index) => ({ timestamp: alarmTimestamp(start + index * periodMs), value }))
      .filter((point) => point.value !== undefined);
    this.transition(alarm, {
      value: result.state,
      reason: result.reason,
      timestamp: now,
      reasonData: JSON.stringify({
        version: '1.0',
        queryDate: alarmTimestamp(now),
        startDate: alarmTimestamp(start),
        ...(config.Statistic ? { statistic: config.Statistic } : {}),
        period: nominalPeriod,
        recentDatapoints: recent.map((point) => point.value),
        threshold: config.Threshold,
        evaluatedDatapoints: recent,
      }),
    });
    return true;
  }

  /** The alarm's metric (or its ReturnData expression) as one statistic per period. */
  private alarmSeries(
    config: MetricAlarmConfiguration,
    start: number,
    end: number,
    periodMs: number,
  ): Series {
    if (!config.Metrics || config.Metrics.length === 0) {
      const statistic = config.ExtendedStatistic ?? config.Statistic ?? 'Average';
      const points = this.store.aggregate(
        { namespace: config.Namespace!, metricName: config.MetricName!, dimensions: config.Dimensions ?? [] },
        start,
        end,
        periodMs,
        statistic,
      );
      return new Map(points.map((point) => [point.timestamp, point.value]));
    }
    const values = new Map<string, Series>();
    for (const query of config.Metrics) {
      if (!query.MetricStat) continue;
      const { Metric, Stat } = query.MetricStat;
      const points = this.store.aggregate(
        { namespace: Metric.Namespace, metricName: Metric.MetricName, dimensions: Metric.Dimensions ?? [] },
        start,
        end,
        periodMs,
        Stat,
      );
      values.set(query.Id, new Map(points.map((point) => [point.timestamp, point.value])));
    }
    for (const query of config.Metrics) {
      if (query.Expression) values.set(query.Id, evaluateExpression(query.Expression, values));
    }
    const returned = config.Metrics.find((query) => query.ReturnData !== false) ?? config.Metrics[0]!;
    return values.get(returned.Id) ?? new Map();
  }

  private transition(alarm: MetricAlarm, next: AlarmStateRecord): void {
    const previous = alarm.state;
    alarm.state = next;
    if (previous.value === next.value) return;
    alarm.transitionedAt = next.timestamp;
    this.addHistory(alarm, 'StateUpdate', `Alarm updated from ${previous.value} to ${next.value}`, {
      version: '1.0',
      oldState: { stateValue: previous.value, stateReason: previous.reason },
      newState: { stateValue: next.value, stateReason: next.reason },
    });
    this.emitStateChangeEvent(alarm, previous);
    if (!alarm.actionsEnabled) return;
    const config = alarm.configuration;
    const actions =
      next.value === 'ALARM'
        ? config.AlarmActions
        : next.value === 'OK'
          ? config.OKActions
          : config.InsufficientDataActions;
    for (const action of actions ?? []) this.runAction(alarm, previous, action);
  }

  private runAction(alarm: MetricAlarm, previous: AlarmStateRecord, action: string): void {
    const service = action.split(':')[2];
    const name = alarm.configuration.AlarmName;
    const source = `cloudwatch:${name}`;
    const { deliveries } = this.effects;
    if (service === 'sns') {
      const region = REGION_NAMES[alarm.region] ?? alarm.region;
      const subject = `${alarm.state.value}: "${name}" in ${region}`.slice(0, 100);
      const message = JSON.stringify(this.snsNotification(alarm, previous));
      deliveries.run(source, action, 'sns', async () =>
        this.effects.publishToTopic(action, subject, message),
      );
    } else if (service === 'lambda') {
      const event = this.lambdaActionEvent(alarm, previous);
      deliveries.run(source, action, 'lambda', () => this.effects.invoker.invoke(action, event));
    } else {
      deliveries.run(source, action, 'other', async () => {
        throw new Error(`alarm actions of type ${service} are not supported by the local cloud`);
      });
    }
    this.addHistory(alarm, 'Action', `Invoked action ${action}`, { actionState: 'Succeeded', action });
  }

  private emitStateChangeEvent(alarm: MetricAlarm, previous: AlarmStateRecord): void {
    const detail = {
      alarmName: alarm.configuration.AlarmName,
      state: stateDetail(alarm.state),
      previousState: stateDetail(previous),
      configuration: this.configurationDetail(alarm),
    };
    this.effects.putEvent({
      Source: 'aws.cloudwatch',
      DetailType: 'CloudWatch Alarm State Change',
      Detail: JSON.stringify(detail),
      Resources: [alarm.arn],
      Time: new Date(alarm.state.timestamp),
    });
  }

  private configurationDetail(alarm: MetricAlarm): Record<string, unknown> {
    const config = alarm.configuration;
    const metrics = config.Metrics?.length
      ? config.Metrics.map((query) => ({
          id: query.Id,
          ...(query.MetricStat
            ? {
                metricStat: {
                  metric: {
                    namespace: query.MetricStat.Metric.Namespace,
                    name: query.MetricStat.Metric.MetricName,
                    dimensions: dimensionMap(query.MetricStat.Metric.Dimensions),
                  },
                  period: query.MetricStat.Period,
                  stat: query.MetricStat.Stat,
                },
              }
            : {}),
          ...(query.Expression ? { expression: query.Expression } : {}),
          ...(query.Label ? { label: query.Label } : {}),
          returnData: query.ReturnData !== false,
        }))
      : [
          {
            id: 'm1',
            metricStat: {
              metric: {
                namespace: config.Namespace,
                name: config.MetricName,
                dimensions: dimensionMap(config.Dimensions),
              },
              period: config.Period,
              stat: config.ExtendedStatistic ?? config.Statistic,
            },
            returnData: true,
          },
        ];
    return { ...(config.AlarmDescription ? { description: config.AlarmDescription } : {}), metrics };
  }

  /** The payload CloudWatch sends to a Lambda alarm action. */
  private lambdaActionEvent(alarm: MetricAlarm, previous: AlarmStateRecord): Record<string, unknown> {
    return {
      source: 'aws.cloudwatch',
      alarmArn: alarm.arn,
      accountId: LOCAL_ACCOUNT_ID,
      time: alarmTimestamp(alarm.state.timestamp),
      region: alarm.region,
      alarmData: {
        alarmName: alarm.configuration.AlarmName,
        state: stateDetail(alarm.state),
        previousState: stateDetail(previous),
        configuration: this.configurationDetail(alarm),
      },
    };
  }

  /** The JSON message CloudWatch publishes to an SNS alarm action. */
  private snsNotification(alarm: MetricAlarm, previous: AlarmStateRecord): Record<string, unknown> {
    const config = alarm.configuration;
    return {
      AlarmName: config.AlarmName,
      AlarmDescription: config.AlarmDescription ?? null,
      AWSAccountId: LOCAL_ACCOUNT_ID,
      AlarmConfigurationUpdatedTimestamp: alarmTimestamp(alarm.configurationUpdatedAt),
      NewStateValue: alarm.state.value,
      NewStateReason: alarm.state.reason,
      StateChangeTime: alarmTimestamp(alarm.state.timestamp),
      Region: alarm.region,
      AlarmArn: alarm.arn,
      OldStateValue: previous.value,
      OKActions: config.OKActions ?? [],
      AlarmActions: config.AlarmActions ?? [],
      InsufficientDataActions: config.InsufficientDataActions ?? [],
      Trigger: {
        MetricName: config.MetricName,
        Namespace: config.Namespace,
        StatisticType: config.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
        Statistic: config.Statistic?.toUpperCase(),
        ...(config.ExtendedStatistic ? { ExtendedStatistic: config.ExtendedStatistic } : {}),
        Unit: config.Unit ?? null,
        Dimensions: (config.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
        Period: config.Period,
        EvaluationPeriods: config.EvaluationPeriods,
        DatapointsToAlarm: config.DatapointsToAlarm ?? config.EvaluationPeriods,
        ComparisonOperator: config.ComparisonOperator,
        Threshold: config.Threshold,
        TreatMissingData: config.TreatMissingData ?? 'missing',
        EvaluateLowSampleCountPercentile: '',
      },
    };
  }

  private addHistory(
    alarm: MetricAlarm,
    type: AlarmHistoryItem['HistoryItemType'],
    summary: string,
    data: unknown,
  ): void {
    this.history.push({
      AlarmName: alarm.configuration.AlarmName,
      AlarmType: 'MetricAlarm',
      Timestamp: this.time.now(),
      HistoryItemType: type,
      HistorySummary: summary,
      HistoryData: JSON.stringify(data),
    });
    if (this.history.length > HISTORY_LIMIT) this.history = this.history.slice(-HISTORY_LIMIT);
  }

  snapshot(): AlarmsSnapshot {
    return { alarms: [...this.alarms.values()], history: this.history };
  }

  /**
   * Restores saved alarms. An alarm whose configuration this version refuses (saved by an older
   * one that accepted anything) is dropped with a warning, instead of failing every DescribeAlarms
   * and every evaluation after it.
   */
  restore(snapshot: AlarmsSnapshot): void {
    this.alarms.clear();
    this.lastFailure.clear();
    for (const alarm of Array.isArray(snapshot.alarms) ? snapshot.alarms : []) {
      try {
        const configuration = readAlarmConfiguration(alarm?.configuration);
        validateAlarm(configuration);
        this.alarms.set(configuration.AlarmName, { ...alarm, configuration });
      } catch (error) {
        console.warn(
          `local cloudwatch: dropped a saved alarm this version refuses (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    }
    this.history = Array.isArray(snapshot.history) ? [...snapshot.history] : [];
  }
}

function stateDetail(state: AlarmStateRecord): Record<string, unknown> {
  return {
    value: state.value,
    reason: state.reason,
    ...(state.reasonData !== undefined ? { reasonData: state.reasonData } : {}),
    timestamp: alarmTimestamp(state.timestamp),
  };
}

function dimensionMap(dimensions: readonly Dimension[] | undefined): Record<string, string> {
  return Object.fromEntries((dimensions ?? []).map((d) => [d.Name, d.Value]));
}

/** PutMetricAlarm's validation, with CloudWatch's error codes. */
export function validateAlarm(config: MetricAlarmConfiguration): void {
  const invalid = (message: string) => new AwsError('InvalidParameterValueException', message);
  const missing = (name: string) =>
    new AwsError('MissingRequiredParameterException', `The parameter ${name} is required.`);
  if (!config.AlarmName) throw missing('AlarmName');
  if (!config.ComparisonOperator) throw missing('ComparisonOperator');
  if (!(COMPARISON_OPERATORS as readonly string[]).includes(config.ComparisonOperator)) {
    throw invalid(
      `ComparisonOperator ${config.ComparisonOperator} is not supported by the local cloud (anomaly detection bands are not).`,
    );
  }
  if (!Number.isInteger(config.EvaluationPeriods) || config.EvaluationPeriods < 1) {
    throw invalid('EvaluationPeriods must be at least 1.');
  }
  if (config.DatapointsToAlarm !== undefined) {
    if (config.DatapointsToAlarm < 1 || config.DatapointsToAlarm > config.EvaluationPeriods) {
      throw invalid('DatapointsToAlarm must be between 1 and EvaluationPeriods.');
    }
  }
  if (
    config.TreatMissingData !== undefined &&
    !(TREAT_MISSING_DATA as readonly string[]).includes(config.TreatMissingData)
  ) {
    throw invalid(`TreatMissingData ${config.TreatMissingData} is not valid.`);
  }
  if (config.Threshold === undefined) throw missing('Threshold');
  if (config.Metrics && config.Metrics.length > 0) {
    if (config.MetricName || config.Namespace) {
      throw new AwsError(
        'InvalidParameterCombinationException',
        'Metrics cannot be combined with MetricName, Namespace, Statistic or Period.',
      );
    }
    if (config.Metrics.filter((query) => query.ReturnData !== false).length !== 1) {
      throw invalid('Exactly one element of the Metrics list must have ReturnData set to true.');
    }
    for (const query of config.Metrics) {
      if (query.MetricStat && !isSupportedStatistic(query.MetricStat.Stat)) {
        throw invalid(`Stat ${query.MetricStat.Stat} is not supported by the local cloud.`);
      }
      const period = query.MetricStat?.Period ?? query.Period;
      if (period !== undefined)
        checkEvaluationRange(period, config.EvaluationPeriods, 'metrics.member.period');
    }
    return;
  }
  if (!config.MetricName) throw missing('MetricName');
  if (!config.Namespace) throw missing('Namespace');
  if (!config.Period || config.Period < 1) throw missing('Period');
  checkEvaluationRange(config.Period, config.EvaluationPeriods, 'period');
  const statistic = config.ExtendedStatistic ?? config.Statistic;
  if (!statistic) throw missing('Statistic');
  if (!isSupportedStatistic(statistic)) throw invalid(`Statistic ${statistic} is not supported.`);
}

/**
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html Period:
 * "Valid values are 10, 20, 30, and any multiple of 60 ... Period multiplied by EvaluationPeriods
 * can't be more than 604,800 seconds. For alarms with a period of less than one hour (3,600
 * seconds), the total evaluation period can't be longer than one day (86,400 seconds)."
 * Evaluation walks every period of that range, so the bound also bounds each evaluation's work.
 */
function checkEvaluationRange(period: number, evaluationPeriods: number, path: string): void {
  if (![10, 20, 30].includes(period) && period % 60 !== 0) {
    throw constraint(path, period, 'Member must be 10, 20, 30 or a multiple of 60');
  }
  const limit = period < 3600 ? 86_400 : 604_800;
  if (period * evaluationPeriods > limit) {
    throw new AwsError(
      'ValidationError',
      `The evaluation range (Period ${period} x EvaluationPeriods ${evaluationPeriods} = ${period * evaluationPeriods} seconds) must not exceed ${limit} seconds.`,
    );
  }
}

const COMPARISON_VALUES = [
  ...COMPARISON_OPERATORS,
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
];

/**
 * PutMetricAlarm's members with their shapes and limits (API_PutMetricAlarm.html): names and
 * namespaces up to 255 characters, at most 5 actions of each kind (1-1024 characters), at most 30
 * dimensions, EvaluationPeriods and DatapointsToAlarm at least 1, a finite Threshold.
 */
export function readAlarmConfiguration(raw: unknown): MetricAlarmConfiguration {
  const input: Input = structure(raw, 'PutMetricAlarmInput');
  const actions = (name: string) => {
    const list = stringList(input, name, { max: 5, item: { max: 1024 } });
    return input[name] === undefined || input[name] === null ? undefined : list;
  };
  const optional = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value });
  const metrics =
    input.Metrics === undefined || input.Metrics === null
      ? undefined
      : metricDataQueries(input, 'Metrics', { max: 100 });
  return {
    AlarmName: requiredString(input, 'AlarmName', { max: 255 }),
    EvaluationPeriods: number(input, 'EvaluationPeriods', { required: true, integer: true, min: 1 })!,
    ComparisonOperator: requiredString(input, 'ComparisonOperator', { values: COMPARISON_VALUES }),
    ...optional('AlarmDescription', string(input, 'AlarmDescription', { max: 1024 })),
    ...optional('ActionsEnabled', boolean(input, 'ActionsEnabled')),
    ...optional('OKActions', actions('OKActions')),
    ...optional('AlarmActions', actions('AlarmActions')),
    ...optional('InsufficientDataActions', actions('InsufficientDataActions')),
    ...optional('MetricName', string(input, 'MetricName', { min: 1, max: 255 })),
    ...optional('Namespace', string(input, 'Namespace', { min: 1, max: 255 })),
    ...optional('Statistic', string(input, 'Statistic', { values: STATISTICS })),
    ...optional('ExtendedStatistic', string(input, 'ExtendedStatistic', { min: 1, max: 255 })),
    ...optional('Dimensions', input.Dimensions === undefined ? undefined : dimensions(input, 'Dimensions')),
    ...optional('Period', number(input, 'Period', { integer: true, min: 1 })),
    ...optional('Unit', string(input, 'Unit', { values: UNITS })),
    ...optional('DatapointsToAlarm', number(input, 'DatapointsToAlarm', { integer: true, min: 1 })),
    ...optional('Threshold', number(input, 'Threshold')),
    ...optional('TreatMissingData', string(input, 'TreatMissingData', { min: 1, max: 255 })),
    ...optional('Metrics', metrics),
  } as MetricAlarmConfiguration;
}
