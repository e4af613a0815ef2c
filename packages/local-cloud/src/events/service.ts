/**
 * Local EventBridge (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Op>`): rules with schedule
 * expressions or event patterns on the default bus (and named buses), their targets (Lambda, SQS,
 * SNS), PutEvents, and a scheduler that fires due rules on each tick at the shared time scale.
 */
import { randomUUID } from 'node:crypto';
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
  private readonly parsedSchedules = new Map<string, Schedule>();
  /** Patterns by their text, so routing an event does not re-parse every rule's JSON. */
  private readonly parsedPatterns = new Map<string, Record<string, unknown>>();
  /** Every event accepted (PutEvents, alarm changes, schedules), newest last, bounded. */
  readonly recentEvents: EventBridgeEvent[] = [];

  constructor(private readonly dependencies: EventsServiceDependencies) {}

  async dispatch(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      const input = (request.input ?? {}) as Record<string, unknown>;
      return jsonResponse(this.handle(request.operation, input, request.region), CONTENT_TYPE);
    } catch (error) {
      if (error instanceof AwsError)
        return jsonErrorResponse(error, NAMESPACE, { contentType: CONTENT_TYPE });
      throw error;
    }
  }

  private handle(operation: string, input: Record<string, unknown>, region: string): unknown {
    const bus = busName(input.EventBusName);
    switch (operation) {
      case 'PutRule':
        return { RuleArn: this.putRule({ ...(input as unknown as PutRuleInput), region }).arn };
      case 'DescribeRule': {
        const rule = this.requireRule(bus, requireString(input, 'Name'));
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
        const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
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
        this.deleteRule(bus, requireString(input, 'Name'), input.Force === true);
        return {};
      case 'EnableRule':
      case 'DisableRule': {
        const rule = this.requireRule(bus, requireString(input, 'Name'));
        rule.state = operation === 'EnableRule' ? 'ENABLED' : 'DISABLED';
        this.nextFire.delete(ruleKey(rule.eventBusName, rule.name));
        return {};
      }
      case 'PutTargets':
        this.putTargets(bus, requireString(input, 'Rule'), (input.Targets ?? []) as RuleTarget[]);
        return { FailedEntryCount: 0, FailedEntries: [] };
      case 'RemoveTargets': {
        const rule = this.requireRule(bus, requireString(input, 'Rule'));
        const ids = new Set((input.Ids ?? []) as string[]);
        rule.targets = rule.targets.filter((target) => !ids.has(target.Id));
        return { FailedEntryCount: 0, FailedEntries: [] };
      }
      case 'ListTargetsByRule':
        return { Targets: this.requireRule(bus, requireString(input, 'Rule')).targets };
      case 'PutEvents': {
        const entries = (input.Entries ?? []) as PutEventsEntry[];
        if (entries.length === 0 || entries.length > 10) {
          throw new AwsError('ValidationException', 'Entries must contain between 1 and 10 entries.');
        }
        const results = entries.map((entry) => {
          if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
            return {
              ErrorCode: 'InvalidArgument',
              ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
            };
          }
          try {
            return { EventId: this.putEvent(entry, region).id };
          } catch {
            return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
          }
        });
        return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
      }
      case 'CreateEventBus': {
        const name = requireString(input, 'Name');
        this.buses.add(name);
        return { EventBusArn: busArn(region, name) };
      }
      case 'DeleteEventBus':
        this.buses.delete(requireString(input, 'Name'));
        return {};
      case 'DescribeEventBus':
        if (!this.buses.has(bus))
          throw new AwsError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
        return { Name: bus, Arn: busArn(region, bus) };
      case 'ListEventBuses':
        return { EventBuses: [...this.buses].map((name) => ({ Name: name, Arn: busArn(region, name) })) };
      case 'TagResource':
      case 'UntagResource':
        return {};
      case 'ListTagsForResource':
        return { Tags: [] };
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  /** Creates or updates a rule (PutRule semantics: omitted optional fields are cleared, targets kept). */
  putRule(input: PutRuleInput): Rule {
    const name = input.Name;
    if (!name || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
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
    for (const target of targets) {
      if (!target.Id || !target.Arn)
        throw new AwsError('ValidationException', 'Each target needs an Id and an Arn.');
      rule.targets = [...rule.targets.filter((existing) => existing.Id !== target.Id), { ...target }];
    }
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

  /** Fires every enabled schedule rule that is due at the current (scaled) time. */
  tick(): void {
    const now = this.dependencies.time.virtualNow();
    for (const [key, rule] of this.rules) {
      if (rule.state !== 'ENABLED' || !rule.scheduleExpression) continue;
      const schedule = this.schedule(rule.scheduleExpression);
      let due = this.nextFire.get(key);
      if (due === undefined) {
        due = nextAfter(schedule, now);
        if (due !== undefined) this.nextFire.set(key, due);
        continue;
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
    for (const rule of this.rules.values()) {
      if (rule.eventBusName !== bus || rule.state !== 'ENABLED' || !rule.eventPattern) continue;
      if (matchesEventPattern(this.pattern(rule.eventPattern), event)) this.deliver(rule, event);
    }
  }

  private pattern(text: string): Record<string, unknown> {
    let pattern = this.parsedPatterns.get(text);
    if (!pattern) {
      pattern = parseEventPattern(text);
      this.parsedPatterns.set(text, pattern);
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
      this.parsedSchedules.set(expression, schedule);
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

  restore(state: unknown): void {
    const snapshot = state as Partial<EventsSnapshot>;
    this.rules.clear();
    this.nextFire.clear();
    for (const name of snapshot.buses ?? []) this.buses.add(name);
    for (const rule of snapshot.rules ?? []) this.rules.set(ruleKey(rule.eventBusName, rule.name), rule);
  }
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
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    }
    return value;
  }
  return event;
}

function ruleKey(bus: string, name: string): string {
  return `${bus}/${name}`;
}

/** Accepts a bus name or ARN; absent means the default bus. */
function busName(value: unknown): string {
  if (typeof value !== 'string' || value === '') return DEFAULT_BUS;
  return value.startsWith('arn:') ? (value.split('/').pop() ?? DEFAULT_BUS) : value;
}

function busArn(region: string, name: string): string {
  return `arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:event-bus/${name}`;
}

function requireString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError('ValidationException', `1 validation error detected: ${name} must not be null.`);
  }
  return value;
}
