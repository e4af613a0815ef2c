/**
 * The console's read-only views of one stack, each through the AWS API a tool would use on AWS:
 * the stack's CloudWatch dashboard (GetDashboard, then GetMetricData for every widget), its alarms
 * (DescribeAlarms, DescribeAlarmHistory), its functions (AWS/Lambda metrics), the DLQ (the peek and
 * reasons of `oncely dlq list`) and the loss audit (the report `oncely audit` stores, and the
 * producer streams of the leases table).
 */
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { LambdaService, LocalCloud } from '@oncely/local-cloud';
import type { AuditReport } from '@oncely/runtime';
import {
  type AwsClients,
  type DeadLetter,
  DynamoDbAuditStore,
  listDeadLetters,
  peekMessages,
  readQueueCounts,
} from '@oncely/runtime/aws';
import { resourcesOfType, type StackEntry } from './stacks.js';

/** The time range the console shows: from the first sample (or the deployment) to now. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** Seconds per point that keep a window at about `points` points at most. */
export function displayPeriod(window: TimeWindow, points = 90): number {
  const seconds = Math.max(1, (window.end - window.start) / 1000);
  for (const period of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600])
    if (seconds / period <= points) return period;
  return 3600;
}

export interface Series {
  readonly label: string;
  /** Epoch ms, ascending. */
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
}

// ---------------------------------------------------------------- dashboard

export interface DashboardWidget {
  readonly type: string;
  readonly title: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly view?: string;
  /** Metric widgets: one series per visible metric or expression. */
  readonly series?: readonly Series[];
  /** The period the dashboard asks for, and the one drawn (a local run lasts minutes). */
  readonly configuredPeriod?: number;
  readonly period?: number;
  /** Alarm widgets: the alarms' states. */
  readonly alarms?: ReadonlyArray<{ readonly name: string; readonly state: string }>;
  /** Text widgets: the markdown source, shown as text. */
  readonly text?: string;
  /** Why the widget is not drawn, or drawn in part. */
  readonly note?: string;
}

export interface DashboardView {
  readonly name: string;
  readonly widgets: readonly DashboardWidget[];
}

interface MetricEntry {
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions?: ReadonlyArray<{ Name: string; Value: string }>;
  readonly expression?: string;
  readonly options: Record<string, unknown>;
}

/** The stack's dashboards (AWS::CloudWatch::Dashboard), as the local CloudWatch stores them. */
export async function readDashboards(
  stack: StackEntry,
  cloudwatch: CloudWatchClient,
  window: TimeWindow,
): Promise<DashboardView[]> {
  const views: DashboardView[] = [];
  for (const dashboard of resourcesOfType(stack, 'AWS::CloudWatch::Dashboard')) {
    const { DashboardBody: body } = await cloudwatch.send(
      new GetDashboardCommand({ DashboardName: dashboard.physicalId }),
    );
    let parsed: { widgets?: unknown };
    try {
      parsed = JSON.parse(body ?? '{}') as { widgets?: unknown };
    } catch {
      continue;
    }
    const widgets = Array.isArray(parsed.widgets) ? parsed.widgets : [];
    const period = displayPeriod(window);
    const alarmStates = await alarmStatesOf(cloudwatch, widgets);
    const rendered = await Promise.all(
      widgets.map((widget) => renderWidget(cloudwatch, record(widget), window, period, alarmStates)),
    );
    views.push({ name: dashboard.physicalId, widgets: rendered });
  }
  return views;
}

async function renderWidget(
  cloudwatch: CloudWatchClient,
  widget: Record<string, unknown>,
  window: TimeWindow,
  period: number,
  alarmStates: ReadonlyMap<string, string>,
): Promise<DashboardWidget> {
  const properties = record(widget.properties);
  const type = typeof widget.type === 'string' ? widget.type : 'unknown';
  const base = {
    type,
    title: typeof properties.title === 'string' ? properties.title : '',
    x: numberOr(widget.x, 0),
    y: numberOr(widget.y, 0),
    width: numberOr(widget.width, 6),
    height: numberOr(widget.height, 6),
  };
  if (type === 'text')
    return { ...base, text: typeof properties.markdown === 'string' ? properties.markdown : '' };
  if (type === 'alarm') {
    const names = list(properties.alarms).map((arn) => String(arn).split(':alarm:').at(-1) ?? String(arn));
    return { ...base, alarms: names.map((name) => ({ name, state: alarmStates.get(name) ?? 'unknown' })) };
  }
  if (type !== 'metric') return { ...base, note: `${type} widgets are not drawn by the local console` };
  const entries = metricEntries(list(properties.metrics));
  const widgetStat = typeof properties.stat === 'string' ? properties.stat : 'Average';
  const configuredPeriod = numberOr(properties.period, 300);
  const queries: MetricDataQuery[] = entries.map((entry, index) => {
    const id = typeof entry.options.id === 'string' ? entry.options.id : `m${index}`;
    const label = typeof entry.options.label === 'string' ? entry.options.label : undefined;
    const visible = entry.options.visible !== false;
    if (entry.expression !== undefined)
      return {
        Id: id,
        Expression: entry.expression,
        ReturnData: visible,
        ...(label ? { Label: label } : {}),
      };
    return {
      Id: id,
      ReturnData: visible,
      ...(label ? { Label: label } : {}),
      MetricStat: {
        Metric: {
          Namespace: entry.namespace,
          MetricName: entry.metricName,
          Dimensions: [...(entry.dimensions ?? [])],
        },
        Period: period,
        Stat: typeof entry.options.stat === 'string' ? entry.options.stat : widgetStat,
      },
    };
  });
  const firstPeriod = entries.map((entry) => entry.options.period).find((value) => typeof value === 'number');
  const common = {
    ...base,
    view: typeof properties.view === 'string' ? properties.view : 'timeSeries',
    configuredPeriod: typeof firstPeriod === 'number' ? firstPeriod : configuredPeriod,
    period,
  };
  if (queries.length === 0) return { ...common, series: [] };
  try {
    const { MetricDataResults: results = [] } = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(Math.floor(window.start / 1000 / period) * period * 1000),
        EndTime: new Date(window.end + 1000),
        ScanBy: 'TimestampAscending',
      }),
    );
    return {
      ...common,
      series: results.map((result) => ({
        label: result.Label ?? result.Id ?? '',
        timestamps: (result.Timestamps ?? []).map((time) => time.getTime()),
        values: result.Values ?? [],
      })),
    };
  } catch (error) {
    return { ...common, series: [], note: `not drawn: ${(error as Error).message}` };
  }
}

/**
 * A widget's `metrics`: `[Namespace, MetricName, DimName, DimValue, ..., {options}]`, where `.`
 * repeats the previous metric's value at that position and a leading `...` repeats its leading
 * values; `[{ expression, id, label }]` is metric math.
 */
export function metricEntries(metrics: readonly unknown[]): MetricEntry[] {
  const entries: MetricEntry[] = [];
  let previous: unknown[] = [];
  for (const raw of metrics) {
    if (!Array.isArray(raw)) continue;
    const last = raw.at(-1);
    const options = last !== null && typeof last === 'object' && !Array.isArray(last) ? record(last) : {};
    let values: unknown[] = raw.length && options === last ? raw.slice(0, -1) : [...raw];
    if (values.length === 0 && typeof options.expression === 'string') {
      entries.push({ expression: options.expression, options });
      continue;
    }
    if (values[0] === '...') {
      const rest = values.slice(1);
      values = [...previous.slice(0, Math.max(0, previous.length - rest.length)), ...rest];
    }
    values = values.map((value, index) => (value === '.' ? previous[index] : value));
    previous = values;
    const [namespace, metricName, ...pairs] = values.map(String);
    const dimensions: Array<{ Name: string; Value: string }> = [];
    for (let index = 0; index + 1 < pairs.length; index += 2)
      dimensions.push({ Name: pairs[index]!, Value: pairs[index + 1]! });
    if (namespace && metricName) entries.push({ namespace, metricName, dimensions, options });
  }
  return entries;
}

async function alarmStatesOf(
  cloudwatch: CloudWatchClient,
  widgets: readonly unknown[],
): Promise<Map<string, string>> {
  const names = new Set<string>();
  for (const widget of widgets) {
    if (record(widget).type !== 'alarm') continue;
    for (const arn of list(record(record(widget).properties).alarms))
      names.add(String(arn).split(':alarm:').at(-1) ?? String(arn));
  }
  const states = new Map<string, string>();
  const all = [...names];
  for (let index = 0; index < all.length; index += 100) {
    const { MetricAlarms: alarms = [] } = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: all.slice(index, index + 100) }),
    );
    for (const alarm of alarms)
      if (alarm.AlarmName) states.set(alarm.AlarmName, alarm.StateValue ?? 'unknown');
  }
  return states;
}

// ---------------------------------------------------------------- alarms

export interface AlarmView {
  readonly name: string;
  /** The logical id without CDK's hash. */
  readonly label: string;
  readonly description: string | undefined;
  readonly state: string;
  readonly reason: string | undefined;
  /** Epoch ms of the last state change. */
  readonly since: number | undefined;
  readonly metric: string | undefined;
  readonly condition: string;
  readonly actionsEnabled: boolean;
  readonly history: ReadonlyArray<{ readonly t: number; readonly summary: string }>;
}

const COMPARISONS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: '>=',
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

export async function readAlarms(stack: StackEntry, cloudwatch: CloudWatchClient): Promise<AlarmView[]> {
  const byName = new Map(
    resourcesOfType(stack, 'AWS::CloudWatch::Alarm').map((alarm) => [alarm.physicalId, alarm.logicalId]),
  );
  const names = [...byName.keys()];
  const views: AlarmView[] = [];
  // The latest state changes of each alarm, newest first.
  const history = new Map(
    await Promise.all(
      names.map(async (name) => {
        const { AlarmHistoryItems: items = [] } = await cloudwatch.send(
          new DescribeAlarmHistoryCommand({
            AlarmName: name,
            HistoryItemType: 'StateUpdate',
            MaxRecords: 20,
          }),
        );
        return [
          name,
          items.map((item) => ({ t: item.Timestamp?.getTime() ?? 0, summary: item.HistorySummary ?? '' })),
        ] as const;
      }),
    ),
  );
  for (let index = 0; index < names.length; index += 100) {
    const { MetricAlarms: alarms = [] } = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(index, index + 100) }),
    );
    for (const alarm of alarms) {
      const name = alarm.AlarmName ?? '';
      const statistic = alarm.Statistic ?? alarm.ExtendedStatistic ?? '';
      views.push({
        name,
        label: (byName.get(name) ?? name).replace(/(?<=.)[0-9A-F]{8}$/, ''),
        description: alarm.AlarmDescription,
        state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
        reason: alarm.StateReason,
        since: alarm.StateUpdatedTimestamp?.getTime(),
        metric: alarm.MetricName
          ? `${alarm.Namespace} ${alarm.MetricName}`
          : alarm.Metrics
            ? 'metric math'
            : undefined,
        condition:
          `${statistic} ${COMPARISONS[alarm.ComparisonOperator ?? ''] ?? alarm.ComparisonOperator ?? ''} ${alarm.Threshold ?? ''}`.trim() +
          ` for ${alarm.EvaluationPeriods ?? 1} × ${alarm.Period ?? 60} s`,
        actionsEnabled: alarm.ActionsEnabled !== false,
        history: (history.get(name) ?? []).slice(0, 20),
      });
    }
  }
  const order: Record<string, number> = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };
  return views.sort(
    (a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || a.label.localeCompare(b.label),
  );
}

// ---------------------------------------------------------------- functions

export interface FunctionView {
  readonly name: string;
  readonly label: string;
  readonly invocations: number;
  readonly errors: number;
  readonly throttles: number;
  /** Milliseconds over the window; undefined without invocations. */
  readonly averageDurationMs: number | undefined;
  readonly maximumDurationMs: number | undefined;
  /** Invocations running now (the local Lambda's counter). */
  readonly running: number;
  readonly series: { readonly invocations: Series; readonly errors: Series; readonly duration: Series };
  readonly period: number;
}

/** Every function of the stack with its AWS/Lambda metrics over the window. */
export async function readFunctions(
  stack: StackEntry,
  cloudwatch: CloudWatchClient,
  cloud: LocalCloud,
  window: TimeWindow,
): Promise<FunctionView[]> {
  const functions = resourcesOfType(stack, 'AWS::Lambda::Function');
  if (functions.length === 0) return [];
  const period = displayPeriod(window);
  const metrics: Array<[string, string, string]> = [
    ['inv', 'Invocations', 'Sum'],
    ['err', 'Errors', 'Sum'],
    ['thr', 'Throttles', 'Sum'],
    ['avg', 'Duration', 'Average'],
    ['max', 'Duration', 'Maximum'],
  ];
  const queries: MetricDataQuery[] = functions.flatMap((fn, index) =>
    metrics.map(([id, metricName, stat]) => ({
      Id: `${id}${index}`,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: fn.physicalId }],
        },
        Period: period,
        Stat: stat,
      },
    })),
  );
  const results = new Map<string, Series>();
  for (let index = 0; index < queries.length; index += 500) {
    const { MetricDataResults: page = [] } = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries.slice(index, index + 500),
        StartTime: new Date(Math.floor(window.start / 1000 / period) * period * 1000),
        EndTime: new Date(window.end + 1000),
        ScanBy: 'TimestampAscending',
      }),
    );
    for (const result of page)
      results.set(result.Id ?? '', {
        label: result.Label ?? '',
        timestamps: (result.Timestamps ?? []).map((time) => time.getTime()),
        values: result.Values ?? [],
      });
  }
  const lambda = cloud.services.lambda as LambdaService | undefined;
  const empty: Series = { label: '', timestamps: [], values: [] };
  return functions.map((fn, index) => {
    const series = (id: string) => results.get(`${id}${index}`) ?? empty;
    const sum = (id: string) => series(id).values.reduce((total, value) => total + value, 0);
    const invocations = series('inv');
    const averages = series('avg');
    // The average over the window: each period's average weighted by its invocations.
    let weighted = 0;
    let counted = 0;
    averages.timestamps.forEach((time, at) => {
      const count = invocations.values[invocations.timestamps.indexOf(time)] ?? 0;
      weighted += (averages.values[at] ?? 0) * count;
      counted += count;
    });
    const maxima = series('max').values;
    let running = 0;
    try {
      running = lambda?.functionStats(fn.physicalId).inFlight ?? 0;
    } catch {
      // Deleted since the stack was read.
    }
    return {
      name: fn.physicalId,
      label: fn.logicalId.replace(/(?<=.)[0-9A-F]{8}$/, ''),
      invocations: sum('inv'),
      errors: sum('err'),
      throttles: sum('thr'),
      averageDurationMs: counted > 0 ? weighted / counted : undefined,
      maximumDurationMs: maxima.length ? Math.max(...maxima) : undefined,
      running,
      series: {
        invocations: { ...invocations, label: 'invocations' },
        errors: { ...series('err'), label: 'errors' },
        duration: { ...averages, label: 'average duration (ms)' },
      },
      period,
    };
  });
}

// ---------------------------------------------------------------- dead-letter queues

/** A dead-letter queue of the stack and where its messages go back to. */
export interface DeadLetterQueueRef {
  /** Logical id. */
  readonly id: string;
  readonly url: string;
  /** Where a redrive sends messages: the pipeline's queue, else the queue whose redrive policy names it. */
  readonly destinationUrl: string | undefined;
}

/** The pipeline's DLQ first (as `oncely dlq` finds it), then every queue a redrive policy names. */
export function deadLetterQueuesOf(stack: StackEntry): DeadLetterQueueRef[] {
  const urlOf = new Map(stack.resources.map((resource) => [resource.logicalId, resource.physicalId]));
  const idOf = new Map(stack.resources.map((resource) => [resource.physicalId, resource.logicalId]));
  const refs: DeadLetterQueueRef[] = [];
  const pipelineDlq = stack.pipeline?.optional('deadLetterQueueUrl');
  if (pipelineDlq) {
    refs.push({
      id: idOf.get(pipelineDlq) ?? 'DeadLetterQueue',
      url: pipelineDlq,
      destinationUrl: stack.pipeline?.optional('queueUrl'),
    });
  }
  for (const edge of stack.architecture.edges) {
    if (edge.kind !== 'redrive') continue;
    const url = urlOf.get(edge.to);
    if (!url || refs.some((ref) => ref.url === url)) continue;
    refs.push({ id: edge.to, url, destinationUrl: urlOf.get(edge.from) });
  }
  return refs;
}

export interface DeadLetterList {
  readonly queue: DeadLetterQueueRef;
  /** Visible + in flight + delayed, as `oncely dlq list` counts it. */
  readonly depth: number;
  /** What `oncely dlq list --json` prints: reasons joined to the messages they explain. */
  readonly messages: readonly DeadLetter[];
}

/**
 * The messages of a DLQ with their reasons, read by `oncely dlq list`'s own function: peeks
 * (visibility 0, nothing is consumed; each peek counts as a receive of the DLQ copy), reasons from
 * the message attributes and reason records. Oldest first.
 */
export async function listDeadLetterQueue(
  clients: AwsClients,
  queue: DeadLetterQueueRef,
  max: number,
): Promise<DeadLetterList> {
  const messages = await listDeadLetters(clients.sqs, queue.url, max);
  const counts = await readQueueCounts(clients.sqs, queue.url);
  return { queue, depth: counts.visible + counts.inFlight + counts.delayed, messages };
}

export interface DeadLetterBody {
  readonly messageId: string;
  /** The body as received (shown as text), cut at {@link BODY_LIMIT} characters. */
  readonly body: string;
  readonly bodyTruncated: boolean;
  /** Message attributes with a string value (binary ones are named, not shown). */
  readonly attributes: Readonly<Record<string, string>>;
}

const BODY_LIMIT = 16_384;

/**
 * One DLQ message's body and attributes, found by a peek (stopping once it is seen): what a person
 * opens from the list. Undefined when it is no longer there (redriven, or beyond `max`).
 */
export async function readDeadLetterBody(
  clients: AwsClients,
  queue: DeadLetterQueueRef,
  messageId: string,
  max: number,
): Promise<DeadLetterBody | undefined> {
  const messages = await peekMessages(clients.sqs, queue.url, {
    maxMessages: max,
    enough: (seen) => seen.has(messageId),
  });
  const message = messages.find((candidate) => candidate.MessageId === messageId);
  if (!message) return undefined;
  const body = message.Body ?? '';
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {}))
    attributes[name] = value.StringValue ?? `(${value.DataType ?? 'binary'})`;
  return { messageId, body: body.slice(0, BODY_LIMIT), bodyTruncated: body.length > BODY_LIMIT, attributes };
}

// ---------------------------------------------------------------- audit

export interface AuditStreamView {
  readonly producer: string;
  /** The lease's high-water mark now. */
  readonly highWater: number | undefined;
  readonly closed: boolean | undefined;
  /** From the last audit: everything up to here is confirmed consumed. */
  readonly confirmedSeq: number | undefined;
  readonly pending: number | undefined;
  /** Unconfirmed seqs the last audit reported, by classification. */
  readonly gaps: ReadonlyArray<{ readonly seq: number; readonly classification: string }>;
  readonly missing: number;
}

export interface AuditView {
  readonly available: boolean;
  readonly report:
    | (Pick<
        AuditReport,
        | 'startedAt'
        | 'finishedAt'
        | 'graceSeconds'
        | 'counts'
        | 'republished'
        | 'compensationExhausted'
        | 'unrecoverable'
        | 'findingsTruncated'
      > & { readonly verdict: string })
    | undefined;
  readonly streams: readonly AuditStreamView[];
}

/** The last audit report and every producer stream's high-water mark, gaps and missing count. */
export async function readAudit(stack: StackEntry, clients: AwsClients): Promise<AuditView> {
  const pipeline = stack.pipeline;
  const control = pipeline?.optional('controlTable');
  const leases = pipeline?.optional('leasesTable');
  if (!pipeline || !control || !leases) return { available: false, report: undefined, streams: [] };
  const store = new DynamoDbAuditStore(clients.documents, {
    claims: pipeline.optional('claimsTable') ?? '',
    leases,
    control,
  });
  const [report, streams] = await Promise.all([store.loadReport(), store.listStreams()]);
  const byProducer = new Map<string, AuditStreamView>();
  const view = (producer: string): AuditStreamView =>
    byProducer.get(producer) ?? {
      producer,
      highWater: undefined,
      closed: undefined,
      confirmedSeq: undefined,
      pending: undefined,
      gaps: [],
      missing: 0,
    };
  for (const stream of streams)
    byProducer.set(stream.producer, {
      ...view(stream.producer),
      highWater: stream.highWater,
      closed: stream.closed,
    });
  for (const summary of report?.streams ?? [])
    byProducer.set(summary.producer, {
      ...view(summary.producer),
      confirmedSeq: summary.confirmedSeq,
      pending: summary.pending,
      highWater: byProducer.get(summary.producer)?.highWater ?? summary.highWater,
    });
  for (const finding of report?.findings ?? []) {
    const current = view(finding.producer);
    byProducer.set(finding.producer, {
      ...current,
      gaps: [...current.gaps, { seq: finding.seq, classification: finding.classification }],
      missing: current.missing + (finding.classification === 'missing' ? 1 : 0),
    });
  }
  return {
    available: true,
    report: report
      ? {
          startedAt: report.startedAt,
          finishedAt: report.finishedAt,
          graceSeconds: report.graceSeconds,
          counts: report.counts,
          republished: report.republished,
          compensationExhausted: report.compensationExhausted,
          unrecoverable: report.unrecoverable,
          findingsTruncated: report.findingsTruncated,
          verdict:
            report.counts.missing === 0
              ? 'nothing lost'
              : `${report.counts.missing} message${report.counts.missing === 1 ? '' : 's'} missing`,
        }
      : undefined,
    streams: [...byProducer.values()].sort((a, b) => a.producer.localeCompare(b.producer)),
  };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
