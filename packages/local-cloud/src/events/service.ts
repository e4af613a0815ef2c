/**
 * Local EventBridge (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Op>`): rules with schedule
 * expressions or event patterns on the default bus (and named buses), their targets (Lambda, SQS,
 * SNS), PutEvents, and a scheduler that fires due rules on each tick at the shared time scale.
 */
import { randomUUID } from 'node:crypto';
import { ByteBoundedCache } from '../bounded-cache.js';
import { jsonDepthExceeds } from '../input-limits.js';
import { type Input, JsonInputReader, validationMessage } from '../json-input.js';
import {
  AwsError,
  DEFAULT_REGION,
  jsonErrorResponse,
  jsonResponse,
  LOCAL_ACCOUNT_ID,
  type LocalService,
  type ServiceRequest,
  type ServiceResponse,
} from '../protocol.js';
import type { DeliveryTracker, FunctionInvoker, QueueSender } from './delivery.js';
import { EventPatternError, matchesEventPattern, parseEventPattern } from './event-pattern.js';
import type { ScaledTime } from './scaled-time.js';
import {
  nextCronTime,
  parseScheduleExpression,
  type Schedule,
  ScheduleExpressionError,
} from './schedule-expression.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const NAMESPACE = 'com.amazonaws.eventbridge';
const DEFAULT_BUS = 'default';
/** A tick never fires one rule more often than this, so a long pause does not flood targets. */
const MAX_CATCH_UP = 10;

/**
 * Shapes and limits of the EventBridge API reference
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/): a member of the wrong JSON type
 * is a SerializationException, a missing or out-of-range one a ValidationException.
 */
const reader = new JsonInputReader({
  missing: (path) =>
    new AwsError('ValidationException', validationMessage(path, null, 'Member must not be null')),
  serialization: (path) =>
    new AwsError('SerializationException', `Unexpected value type in payload for member ${path}.`),
  constraint: (path, value, rule) =>
    new AwsError('ValidationException', validationMessage(path, value, rule)),
});
/** API_PutRule.html Name: 1-64, [\.\-_A-Za-z0-9]+ (also target Ids, API_Target.html). */
const RULE_NAME = { max: 64, pattern: /^[.\-_A-Za-z0-9]+$/ } as const;
/** API_PutRule.html EventBusName: a name or an event bus ARN, 1-1600. */
const BUS_NAME_OR_ARN = {
  min: 1,
  max: 1600,
  pattern: /^(arn:aws[\w-]*:events:[a-z]{2}-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/,
} as const;
/** API_CreateEventBus.html Name: 1-256, [/\.\-_A-Za-z0-9]+. */
const BUS_NAME = { max: 256, pattern: /^[/.\-_A-Za-z0-9]+$/ } as const;
const ARN = { min: 1, max: 1600 } as const;
const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'];
/**
 * PutEvents: "The maximum size for a PutEvents event entry is 256 KB", sizes counted as in
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html; details nest at
 * most 1100 levels ("PutEvents will only process nested JSON up to 1100 levels deep").
 */
const MAX_ENTRIES_BYTES = 256 * 1024;
const MAX_DETAIL_DEPTH = 1100;
/** Targets per rule (Amazon EventBridge quotas: 5) and per PutTargets request (API_PutTargets.html: 10). */
const MAX_TARGETS_PER_RULE = 5;

/** An event as EventBridge delivers it to targets. */
export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

export interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly SqsParameters?: { readonly MessageGroupId?: string };
  readonly RetryPolicy?: {
    readonly MaximumRetryAttempts?: number;
    readonly MaximumEventAgeInSeconds?: number;
  };
  readonly DeadLetterConfig?: { readonly Arn?: string };
  readonly [other: string]: unknown;
}

export interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly eventBusName: string;
  readonly region: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  scheduleExpression?: string;
  eventPattern?: string;
  roleArn?: string;
  targets: RuleTarget[];
}

export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  /** Seconds since the epoch (the JSON protocol's timestamp form) or a Date. */
  readonly Time?: number | Date;
  readonly EventBusName?: string;
}

/** Publishes to an SNS topic in-process; provided by the local SNS. */
export type TopicPublisher = (topicArn: string, message: string) => void;

export interface EventsServiceDependencies {
  readonly time: ScaledTime;
  readonly invoker: FunctionInvoker;
  readonly queues: QueueSender;
  readonly deliveries: DeliveryTracker;
  readonly publishToTopic: TopicPublisher;
}

interface EventsSnapshot {
  readonly rules: Rule[];
  readonly buses: string[];
}

/** AWS event times have second precision: `2026-11-25T10:00:00Z`. */
export function eventTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventsService implements LocalService {
  readonly signingNames = ['events'];
  readonly targetPrefixes = ['AWSEvents'];
  private readonly rules = new Map<string, Rule>();
  private readonly buses = new Set<string>([DEFAULT_BUS]);
  /** Next due virtual time per rule key; rebuilt lazily, so it needs no persistence. */
  private readonly nextFire = new Map<string, number>();
  /** Parsed schedules and patterns by their text, bounded by bytes (rules come and go). */
  private readonly parsedSchedules = new ByteBoundedCache<Schedule>(1024 * 1024);
  /** Patterns by their text, so routing an event does not re-parse every rule's JSON. */
  private readonly parsedPatterns = new ByteBoundedCache<Record<string, unknown>>(8 * 1024 * 1024);
  /** Scheduled firings and event routings that threw (each rule is isolated from the others). */
  scheduleFailures = 0;
  private readonly lastFailure = new Map<string, string>();
  /** Every event accepted (PutEvents, alarm changes, schedules), newest last, bounded. */
  readonly recentEvents: EventBridgeEvent[] = [];

  constructor(private readonly dependencies: EventsServiceDependencies) {}

  async dispatch(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      const input = reader.structure(request.input ?? {}, 'input');
      return jsonResponse(this.handle(request.operation, input, request.region), CONTENT_TYPE);
    } catch (error) {
      if (error instanceof AwsError)
        return jsonErrorResponse(error, NAMESPACE, { contentType: CONTENT_TYPE });
      throw error;
    }
  }

  private handle(operation: string, input: Input, region: string): unknown {
    const bus = busName(reader.string(input, 'EventBusName', BUS_NAME_OR_ARN));
    const ruleName = (member: 'Name' | 'Rule') => reader.requiredString(input, member, RULE_NAME);
    switch (operation) {
      case 'PutRule':
        return { RuleArn: this.putRule({ ...readPutRule(input), region }).arn };
      case 'DescribeRule': {
        const rule = this.requireRule(bus, ruleName('Name'));
        return {
          Name: rule.name,
          Arn: rule.arn,
          EventBusName: rule.eventBusName,
          State: rule.state,
          ...(rule.description !== undefined ? { Description: rule.description } : {}),
          ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
          ...(rule.eventPattern ? { EventPattern: rule.eventPattern } : {}),
          ...(rule.roleArn ? { RoleArn: rule.roleArn } : {}),
          CreatedBy: LOCAL_ACCOUNT_ID,
        };
      }
      case 'ListRules': {
        const prefix = reader.string(input, 'NamePrefix', { ...RULE_NAME, min: 1 }) ?? '';
        reader.number(input, 'Limit', { integer: true, min: 1, max: 100 });
        reader.string(input, 'NextToken', { min: 1, max: 2048 });
        return {
          Rules: [...this.rules.values()]
            .filter((rule) => rule.eventBusName === bus && rule.name.startsWith(prefix))
            .map((rule) => ({
              Name: rule.name,
              Arn: rule.arn,
              EventBusName: rule.eventBusName,
              State: rule.state,
              ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
              ...(rule.eventPattern ? { EventPattern: rule.eventPattern } : {}),
            })),
        };
      }
      case 'DeleteRule':
        this.deleteRule(bus, ruleName('Name'), reader.boolean(input, 'Force') === true);
        return {};
      case 'EnableRule':
      case 'DisableRule': {
        const rule = this.requireRule(bus, ruleName('Name'));
        rule.state = operation === 'EnableRule' ? 'ENABLED' : 'DISABLED';
        this.nextFire.delete(ruleKey(rule.eventBusName, rule.name));
        return {};
      }
      case 'PutTargets': {
        const rule = ruleName('Rule');
        const targets = reader
          .structures(input, 'Targets', { required: true, max: 10 })
          .map((target, index) => readTarget(target, `targets.${index + 1}`));
        this.putTargets(bus, rule, targets);
        return { FailedEntryCount: 0, FailedEntries: [] };
      }
      case 'RemoveTargets': {
        const rule = this.requireRule(bus, ruleName('Rule'));
        const ids = new Set(reader.stringList(input, 'Ids', { required: true, max: 100, item: RULE_NAME }));
        reader.boolean(input, 'Force');
        rule.targets = rule.targets.filter((target) => !ids.has(target.Id));
        return { FailedEntryCount: 0, FailedEntries: [] };
      }
      case 'ListTargetsByRule':
        reader.number(input, 'Limit', { integer: true, min: 1, max: 100 });
        return { Targets: this.requireRule(bus, ruleName('Rule')).targets };
      case 'PutEvents':
        return this.putEvents(input, region);
      case 'CreateEventBus': {
        const name = reader.requiredString(input, 'Name', BUS_NAME);
        reader.string(input, 'Description', { max: 512 });
        this.buses.add(name);
        return { EventBusArn: busArn(region, name) };
      }
      case 'DeleteEventBus': {
        const name = reader.requiredString(input, 'Name', BUS_NAME);
        if (name === DEFAULT_BUS)
          throw new AwsError('ValidationException', 'Cannot delete event bus default.');
        this.buses.delete(name);
        return {};
      }
      case 'DescribeEventBus': {
        const name = busName(reader.string(input, 'Name', BUS_NAME_OR_ARN) ?? bus);
        if (!this.buses.has(name))
          throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
        return { Name: name, Arn: busArn(region, name) };
      }
      case 'ListEventBuses': {
        const prefix = reader.string(input, 'NamePrefix', { ...BUS_NAME, min: 1 }) ?? '';
        reader.number(input, 'Limit', { integer: true, min: 1, max: 100 });
        return {
          EventBuses: [...this.buses]
            .filter((name) => name.startsWith(prefix))
            .map((name) => ({ Name: name, Arn: busArn(region, name) })),
        };
      }
      case 'TagResource':
      case 'UntagResource':
        return {};
      case 'ListTagsForResource':
        return { Tags: [] };
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  /**
   * API_PutEvents.html: 1-10 entries whose total size (eb-putevent-size.html) is at most 256 KB.
   * An entry without Source, DetailType or Detail, or whose Detail is not a JSON object, fails on
   * its own; the others are accepted.
   */
  private putEvents(input: Input, region: string): unknown {
    const entries = reader.structures(input, 'Entries', { required: true, max: 10 }).map((entry, index) => {
      const path = `entries.${index + 1}`;
      const time = entry.Time;
      // Epoch seconds a date can show (JavaScript dates reach +-8.64e15 ms).
      if (
        time !== undefined &&
        time !== null &&
        (typeof time !== 'number' || !Number.isFinite(time) || Math.abs(time) > 8.64e12)
      ) {
        throw reader.errors.serialization(`${path}.time`);
      }
      const eventBus = reader.string(entry, 'EventBusName', BUS_NAME_OR_ARN, `${path}.eventBusName`);
      const detail = reader.string(entry, 'Detail', {}, `${path}.detail`);
      const source = reader.string(entry, 'Source', {}, `${path}.source`);
      const detailType = reader.string(entry, 'DetailType', {}, `${path}.detailType`);
      reader.string(entry, 'TraceHeader', { min: 1, max: 500 }, `${path}.traceHeader`);
      return {
        ...(source !== undefined ? { Source: source } : {}),
        ...(detailType !== undefined ? { DetailType: detailType } : {}),
        ...(detail !== undefined ? { Detail: detail } : {}),
        Resources: reader.stringList(entry, 'Resources', { item: { max: 2048 } }, `${path}.resources`),
        ...(typeof time === 'number' ? { Time: time } : {}),
        ...(eventBus !== undefined ? { EventBusName: eventBus } : {}),
      } satisfies PutEventsEntry;
    });
    const size = entries.reduce((total, entry) => total + entrySize(entry), 0);
    if (size > MAX_ENTRIES_BYTES) {
      throw new AwsError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const results = entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
        };
      }
      if (!isJsonObject(entry.Detail)) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      return { EventId: this.putEvent(entry, region).id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /** Creates or updates a rule (PutRule semantics: omitted optional fields are cleared, targets kept). */
  putRule(input: PutRuleInput): Rule {
    const name = input.Name;
    if (typeof name !== 'string' || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
      throw new AwsError(
        'ValidationException',
        'Rule name must match [\\.\\-_A-Za-z0-9]+ and be 1-64 characters.',
      );
    }
    const bus = busName(input.EventBusName);
    if (!this.buses.has(bus))
      throw new AwsError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
    if (!input.ScheduleExpression && !input.EventPattern) {
      throw new AwsError(
        'ValidationException',
        'Parameter(s) EventPattern or ScheduleExpression must be specified.',
      );
    }
    if (input.ScheduleExpression) this.schedule(input.ScheduleExpression);
    if (input.EventPattern) {
      try {
        parseEventPattern(input.EventPattern);
      } catch (error) {
        if (error instanceof EventPatternError) {
          throw new AwsError(
            'InvalidEventPatternException',
            `Event pattern is not valid. Reason: ${error.message}`,
          );
        }
        throw error;
      }
    }
    const key = ruleKey(bus, name);
    const region = input.region ?? DEFAULT_REGION;
    const existing = this.rules.get(key);
    const rule: Rule = {
      name,
      arn: `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${bus === DEFAULT_BUS ? '' : `${bus}/`}${name}`,
      eventBusName: bus,
      region,
      state: input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      targets: existing?.targets ?? [],
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      ...(input.ScheduleExpression ? { scheduleExpression: input.ScheduleExpression } : {}),
      ...(input.EventPattern ? { eventPattern: input.EventPattern } : {}),
      ...(input.RoleArn ? { roleArn: input.RoleArn } : {}),
    };
    this.rules.set(key, rule);
    this.nextFire.delete(key);
    return rule;
  }

  putTargets(eventBusName: string | undefined, ruleName: string, targets: readonly RuleTarget[]): void {
    const rule = this.requireRule(busName(eventBusName), ruleName);
    let next = rule.targets;
    for (const target of targets) {
      if (typeof target.Id !== 'string' || !target.Id || typeof target.Arn !== 'string' || !target.Arn)
        throw new AwsError('ValidationException', 'Each target needs an Id and an Arn.');
      next = [...next.filter((existing) => existing.Id !== target.Id), { ...target }];
    }
    if (next.length > MAX_TARGETS_PER_RULE) {
      throw new AwsError(
        'LimitExceededException',
        `The requested resource exceeds the maximum number allowed: a rule can have at most ${MAX_TARGETS_PER_RULE} targets.`,
      );
    }
    rule.targets = next;
  }

  deleteRule(eventBusName: string | undefined, name: string, force = false): void {
    const key = ruleKey(busName(eventBusName), name);
    const rule = this.rules.get(key);
    if (!rule) return;
    if (rule.targets.length > 0 && !force) {
      throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
    }
    this.rules.delete(key);
    this.nextFire.delete(key);
  }

  listRules(): readonly Rule[] {
    return [...this.rules.values()];
  }

  /** Accepts one event (PutEvents entry) and delivers it to the targets of every matching rule. */
  putEvent(entry: PutEventsEntry, region = DEFAULT_REGION): EventBridgeEvent {
    const detail = typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : (entry.Detail ?? {});
    const timeMs =
      entry.Time instanceof Date
        ? entry.Time.getTime()
        : typeof entry.Time === 'number'
          ? entry.Time * 1000
          : this.dependencies.time.now();
    const event: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType ?? '',
      source: entry.Source ?? '',
      account: LOCAL_ACCOUNT_ID,
      time: eventTime(timeMs),
      region,
      resources: [...(entry.Resources ?? [])],
      detail,
    };
    this.route(busName(entry.EventBusName), event);
    return event;
  }

  /**
   * Fires every enabled schedule rule that is due at the current (scaled) time. Each rule is
   * isolated: one that cannot be scheduled or delivered is counted and logged, the others fire.
   */
  tick(): void {
    const now = this.dependencies.time.virtualNow();
    for (const [key, rule] of this.rules) {
      if (rule.state !== 'ENABLED' || !rule.scheduleExpression) continue;
      try {
        this.tickRule(key, rule, now);
        this.lastFailure.delete(key);
      } catch (error) {
        this.ruleFailed(key, 'could not be scheduled', error);
      }
    }
  }

  private ruleFailed(key: string, what: string, error: unknown): void {
    this.scheduleFailures++;
    const message = error instanceof Error ? error.message : String(error);
    if (this.lastFailure.get(key) === message) return;
    this.lastFailure.set(key, message);
    console.error(`local events: rule ${key} ${what}`, error);
  }

  private tickRule(key: string, rule: Rule, now: number): void {
    const schedule = this.schedule(rule.scheduleExpression!);
    let due = this.nextFire.get(key);
    if (due === undefined) {
      due = nextAfter(schedule, now);
      if (due !== undefined) this.nextFire.set(key, due);
      return;
    }
    let fired = 0;
    while (due !== undefined && due <= now && fired < MAX_CATCH_UP) {
      this.fireScheduled(rule);
      fired++;
      due = nextAfter(schedule, due);
    }
    // After a long pause, skip the backlog instead of replaying it.
    while (due !== undefined && due <= now) due = nextAfter(schedule, due);
    if (due === undefined) this.nextFire.delete(key);
    else this.nextFire.set(key, due);
  }

  private fireScheduled(rule: Rule): void {
    const event: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: LOCAL_ACCOUNT_ID,
      time: eventTime(this.dependencies.time.now()),
      region: rule.region,
      resources: [rule.arn],
      detail: {},
    };
    this.remember(event);
    this.deliver(rule, event);
  }

  private route(bus: string, event: EventBridgeEvent): void {
    this.remember(event);
    for (const [key, rule] of this.rules) {
      if (rule.eventBusName !== bus || rule.state !== 'ENABLED' || !rule.eventPattern) continue;
      // One rule that cannot be matched or delivered must not keep the event from the others.
      try {
        if (matchesEventPattern(this.pattern(rule.eventPattern), event)) this.deliver(rule, event);
      } catch (error) {
        this.ruleFailed(key, 'could not route an event', error);
      }
    }
  }

  private pattern(text: string): Record<string, unknown> {
    let pattern = this.parsedPatterns.get(text);
    if (!pattern) {
      pattern = parseEventPattern(text);
      this.parsedPatterns.set(text, pattern, text.length * 16);
    }
    return pattern;
  }

  private deliver(rule: Rule, event: EventBridgeEvent): void {
    const { deliveries, invoker, queues, publishToTopic } = this.dependencies;
    const source = `events:${rule.name}`;
    for (const target of rule.targets) {
      const payload = targetInput(target, event);
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const service = target.Arn.split(':')[2];
      let kind: 'lambda' | 'sqs' | 'sns' | 'other';
      let work: () => Promise<void>;
      if (service === 'lambda') {
        kind = 'lambda';
        work = () => invoker.invoke(target.Arn, payload);
      } else if (service === 'sqs') {
        kind = 'sqs';
        work = () =>
          queues.send(target.Arn, text, {
            ...(target.SqsParameters?.MessageGroupId
              ? { messageGroupId: target.SqsParameters.MessageGroupId }
              : {}),
            messageDeduplicationId: event.id,
          });
      } else if (service === 'sns') {
        kind = 'sns';
        work = async () => publishToTopic(target.Arn, text);
      } else {
        kind = 'other';
        work = async () => {
          throw new Error(`targets of type ${service} are not supported by the local cloud`);
        };
      }
      deliveries.run(source, target.Arn, kind, () => this.withRetries(target, event, work));
    }
  }

  /**
   * The target's RetryPolicy (at most 2 immediate retries locally: the point is to reach the
   * dead-letter queue, not to wait out AWS's 24 hours), then its DeadLetterConfig queue.
   */
  private async withRetries(
    target: RuleTarget,
    event: EventBridgeEvent,
    work: () => Promise<void>,
  ): Promise<void> {
    const retries = Math.min(2, Math.max(0, Number(target.RetryPolicy?.MaximumRetryAttempts ?? 2)));
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        lastError = error;
      }
    }
    const deadLetterArn = target.DeadLetterConfig?.Arn;
    if (deadLetterArn) await this.dependencies.queues.send(deadLetterArn, JSON.stringify(event));
    throw lastError;
  }

  private remember(event: EventBridgeEvent): void {
    this.recentEvents.push(event);
    if (this.recentEvents.length > 500) this.recentEvents.splice(0, this.recentEvents.length - 500);
  }

  private schedule(expression: string): Schedule {
    let schedule = this.parsedSchedules.get(expression);
    if (!schedule) {
      try {
        schedule = parseScheduleExpression(expression);
      } catch (error) {
        if (error instanceof ScheduleExpressionError)
          throw new AwsError('ValidationException', error.message);
        throw error;
      }
      this.parsedSchedules.set(expression, schedule, expression.length * 2 + 2048);
    }
    return schedule;
  }

  private requireRule(bus: string, name: string): Rule {
    const rule = this.rules.get(ruleKey(bus, name));
    if (!rule)
      throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
    return rule;
  }

  snapshot(): EventsSnapshot {
    return { rules: [...this.rules.values()], buses: [...this.buses] };
  }

  /**
   * Restores saved rules and buses. A rule this version would refuse (saved by an older one that
   * accepted, say, a numeric name) is dropped with a warning instead of failing every ListRules.
   */
  restore(state: unknown): void {
    const snapshot = (typeof state === 'object' && state !== null ? state : {}) as Partial<EventsSnapshot>;
    this.rules.clear();
    this.nextFire.clear();
    this.lastFailure.clear();
    for (const name of Array.isArray(snapshot.buses) ? snapshot.buses : []) {
      if (typeof name === 'string') this.buses.add(name);
    }
    for (const rule of Array.isArray(snapshot.rules) ? snapshot.rules : []) {
      if (isWellFormedRule(rule)) this.rules.set(ruleKey(rule.eventBusName, rule.name), rule);
      else
        console.warn(
          'local events: dropped a saved rule this version refuses',
          JSON.stringify(rule)?.slice(0, 200),
        );
    }
  }
}

/** PutRule's members with their shapes and limits (API_PutRule.html). */
function readPutRule(input: Input): PutRuleInput {
  const optional = (name: string, value: string | undefined) =>
    value === undefined ? {} : { [name]: value };
  reader.structures(input, 'Tags', { max: 50 }).forEach((tag, index) => {
    reader.requiredString(tag, 'Key', { max: 128 }, `tags.${index + 1}.key`);
    reader.requiredString(tag, 'Value', { min: 0, max: 256 }, `tags.${index + 1}.value`);
  });
  return {
    Name: reader.requiredString(input, 'Name', RULE_NAME),
    ...optional('EventBusName', reader.string(input, 'EventBusName', BUS_NAME_OR_ARN)),
    ...optional('ScheduleExpression', reader.string(input, 'ScheduleExpression', { max: 256 })),
    ...optional('EventPattern', reader.string(input, 'EventPattern', { max: 4096 })),
    ...optional('State', reader.string(input, 'State', { values: RULE_STATES })),
    ...optional('Description', reader.string(input, 'Description', { max: 512 })),
    ...optional('RoleArn', reader.string(input, 'RoleArn', ARN)),
  } as PutRuleInput;
}

/** A Target (API_Target.html) with the members the local cloud uses, checked; others are dropped. */
function readTarget(target: Input, path: string): RuleTarget {
  const retry = reader.optionalStructure(target, 'RetryPolicy', `${path}.retryPolicy`);
  const deadLetter = reader.optionalStructure(target, 'DeadLetterConfig', `${path}.deadLetterConfig`);
  const sqs = reader.optionalStructure(target, 'SqsParameters', `${path}.sqsParameters`);
  const transformer = reader.optionalStructure(target, 'InputTransformer', `${path}.inputTransformer`);
  const input = reader.string(target, 'Input', { max: 8192 }, `${path}.input`);
  const inputPath = reader.string(target, 'InputPath', { max: 256 }, `${path}.inputPath`);
  const roleArn = reader.string(target, 'RoleArn', ARN, `${path}.roleArn`);
  const attempts = retry && reader.number(retry, 'MaximumRetryAttempts', { integer: true, min: 0, max: 185 });
  const age =
    retry && reader.number(retry, 'MaximumEventAgeInSeconds', { integer: true, min: 60, max: 86_400 });
  const deadLetterArn = deadLetter && reader.string(deadLetter, 'Arn', ARN, `${path}.deadLetterConfig.arn`);
  const groupId = sqs && reader.string(sqs, 'MessageGroupId', {}, `${path}.sqsParameters.messageGroupId`);
  return {
    Id: reader.requiredString(target, 'Id', RULE_NAME, `${path}.id`),
    Arn: reader.requiredString(target, 'Arn', ARN, `${path}.arn`),
    ...(roleArn !== undefined ? { RoleArn: roleArn } : {}),
    ...(input !== undefined ? { Input: input } : {}),
    ...(inputPath !== undefined ? { InputPath: inputPath } : {}),
    ...(transformer ? { InputTransformer: JSON.parse(JSON.stringify(transformer)) } : {}),
    ...(retry
      ? {
          RetryPolicy: {
            ...(attempts !== undefined ? { MaximumRetryAttempts: attempts } : {}),
            ...(age !== undefined ? { MaximumEventAgeInSeconds: age } : {}),
          },
        }
      : {}),
    ...(deadLetter ? { DeadLetterConfig: deadLetterArn !== undefined ? { Arn: deadLetterArn } : {} } : {}),
    ...(sqs ? { SqsParameters: groupId !== undefined ? { MessageGroupId: groupId } : {} } : {}),
  };
}

/** Size of a PutEvents entry as EventBridge counts it (eb-putevent-size.html). */
function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time !== undefined ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text !== undefined) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}

/** A Detail is a JSON object nested at most 1100 levels. */
function isJsonObject(text: string): boolean {
  if (jsonDepthExceeds(text, MAX_DETAIL_DEPTH)) return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

function isWellFormedRule(rule: unknown): rule is Rule {
  if (typeof rule !== 'object' || rule === null) return false;
  const candidate = rule as Partial<Rule>;
  const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
  return (
    typeof candidate.name === 'string' &&
    /^[.\-_A-Za-z0-9]{1,64}$/.test(candidate.name) &&
    typeof candidate.eventBusName === 'string' &&
    typeof candidate.arn === 'string' &&
    typeof candidate.region === 'string' &&
    (candidate.state === 'ENABLED' || candidate.state === 'DISABLED') &&
    optionalString(candidate.description) &&
    optionalString(candidate.scheduleExpression) &&
    optionalString(candidate.eventPattern) &&
    optionalString(candidate.roleArn) &&
    Array.isArray(candidate.targets) &&
    candidate.targets.every(
      (target) =>
        typeof target === 'object' &&
        target !== null &&
        typeof target.Id === 'string' &&
        typeof target.Arn === 'string',
    )
  );
}

export interface PutRuleInput {
  readonly Name: string;
  readonly EventBusName?: string;
  readonly ScheduleExpression?: string;
  readonly EventPattern?: string;
  readonly State?: string;
  readonly Description?: string;
  readonly RoleArn?: string;
  readonly region?: string;
}

function nextAfter(schedule: Schedule, after: number): number | undefined {
  return schedule.kind === 'rate' ? after + schedule.intervalMs : nextCronTime(schedule.fields, after);
}

/** What a target receives: the event, or its constant `Input`, or the part `InputPath` selects. */
function targetInput(target: RuleTarget, event: EventBridgeEvent): unknown {
  if (target.Input !== undefined) {
    try {
      return JSON.parse(target.Input);
    } catch {
      return target.Input;
    }
  }
  if (target.InputPath) {
    const path = target.InputPath.replace(/^\$\.?/, '');
    let value: unknown = event;
    for (const part of path ? path.split('.') : []) {
      value =
        typeof value === 'object' && value !== null && Object.hasOwn(value, part)
          ? (value as Record<string, unknown>)[part]
          : undefined;
    }
    return value;
  }
  return event;
}

function ruleKey(bus: string, name: string): string {
  return `${bus}/${name}`;
}

/** Accepts a bus name or ARN; absent means the default bus. */
function busName(value: string | undefined): string {
  if (typeof value !== 'string' || value === '') return DEFAULT_BUS;
  return value.startsWith('arn:') ? (value.split('/').pop() ?? DEFAULT_BUS) : value;
}

function busArn(region: string, name: string): string {
  return `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:event-bus/${name}`;
}
