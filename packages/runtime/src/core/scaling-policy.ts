/**
 * Backlog scaling policy: turns CloudWatch alarm state changes on the source queue's backlog into
 * a maximum consumer concurrency and a degradation level. Pure: the scaler handler supplies the
 * stored state and applies the decision through the ports at the bottom of this file.
 *
 * The backlog alarms are nested steps (elevated < high < critical, by visible messages). The
 * policy remembers the last state of every step alarm; the active step is the highest one in
 * ALARM. Remembering each alarm separately (with its state timestamp) makes the result independent
 * of the order in which EventBridge delivers the events: a late "elevated is OK" cannot undo a
 * newer "critical is ALARM", and a redelivered or older event is ignored.
 */
import { z } from 'zod';
import type { DegradationLevel } from './tables.js';

/** AWS rejects a ScalingConfig.MaximumConcurrency (and SQS MinimumPollers) below 2. */
export const MINIMUM_SQS_CONCURRENCY = 2;

const degradationLevel = z.enum(['normal', 'elevated', 'critical']);

export const scalingStepSchema = z.object({
  /** Step name, e.g. `elevated`; unique within the policy. */
  name: z.string().min(1),
  /** The backlog alarm that switches this step on (ALARM) and off (OK). */
  alarmName: z.string().min(1),
  /** Maximum concurrency (or pollers) wanted while this step is the highest one in ALARM. */
  maximumConcurrency: z.number().int().min(MINIMUM_SQS_CONCURRENCY),
  /** Degradation level consumers apply while this step is the highest one in ALARM. */
  degradation: degradationLevel,
});

/** What the scaler knows about the consumer; serialised into `ONCELY_SCALING_POLICY` by the stack. */
export const scalingPolicySchema = z
  .object({
    /** Concurrency with no backlog alarm in ALARM; also the lower bound. */
    floor: z.number().int().min(MINIMUM_SQS_CONCURRENCY),
    /** Upper bound whatever the steps say. */
    ceiling: z.number().int().min(MINIMUM_SQS_CONCURRENCY),
    /** The consumer function's reserved concurrency: more pollers than this only cause throttles. */
    reservedConcurrency: z.number().int().positive().optional(),
    queueType: z.enum(['fifo', 'standard']),
    /**
     * FIFO only: how many message groups are active at once. SQS exposes no group count, so this is
     * the operator's estimate (the number of distinct ordering keys in flight); concurrency above it
     * only idles, because SQS hands a group to one consumer at a time.
     */
    activeMessageGroups: z.number().int().positive().optional(),
    /** Which knob of the event source mapping the scaler turns. */
    mode: z.enum(['maximum-concurrency', 'provisioned-pollers']),
    /** Provisioned mode only: MinimumPollers kept on every update. */
    minimumPollers: z.number().int().min(MINIMUM_SQS_CONCURRENCY).optional(),
    /** Ordered from the lowest backlog to the highest. */
    steps: z.array(scalingStepSchema).min(1),
  })
  .refine((policy) => policy.floor <= policy.ceiling, {
    message: 'floor must not exceed ceiling',
    path: ['floor'],
  })
  .refine((policy) => new Set(policy.steps.map((step) => step.alarmName)).size === policy.steps.length, {
    message: 'every step needs its own alarm',
    path: ['steps'],
  });

/** One backlog step: its alarm and what the scaler sets while it is the highest step in ALARM. */
export type ScalingStep = z.infer<typeof scalingStepSchema>;
/** The scaler's policy (the JSON in ONCELY_SCALING_POLICY), validated by {@link scalingPolicySchema}. */
export type ScalingPolicy = z.infer<typeof scalingPolicySchema>;

/** A CloudWatch alarm state. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One "CloudWatch Alarm State Change" event, reduced to what the policy needs. */
export interface AlarmStateChange {
  readonly alarmName: string;
  readonly state: AlarmState;
  /** The alarm's state timestamp (ISO 8601), not the delivery time. */
  readonly timestamp: string;
}

/** Last applied state of one step alarm. */
export interface StepAlarmRecord {
  readonly state: AlarmState;
  readonly timestamp: string;
}

/** What the scaler stores in the control table's degradation item. */
export interface ScalingState {
  readonly level: DegradationLevel;
  readonly maximumConcurrency: number;
  /** By alarm name. */
  readonly alarms: Readonly<Record<string, StepAlarmRecord>>;
  /** ISO timestamp of the newest alarm event applied. */
  readonly updatedAt: string;
}

/** What one alarm event means: ignore it (unknown alarm, older than what was applied, a repeat), or apply a new state. */
export type ScalingDecision =
  | { readonly kind: 'ignore'; readonly reason: 'unknown-alarm' | 'stale' | 'repeated' }
  | {
      readonly kind: 'apply';
      readonly next: ScalingState;
      /** The highest step in ALARM, or undefined when the backlog is normal. */
      readonly activeStep: string | undefined;
      /** True when the event source mapping needs an update. */
      readonly concurrencyChanged: boolean;
      readonly levelChanged: boolean;
    };

/**
 * Concurrency for a wanted value: first the operator's bounds [floor, ceiling], then the hard caps
 * (reserved concurrency; on FIFO the active message groups: consumers cannot outnumber
 * partitions), and never below the AWS minimum of 2.
 */
export function clampConcurrency(policy: ScalingPolicy, wanted: number): number {
  let value = Math.min(policy.ceiling, Math.max(policy.floor, wanted));
  if (policy.reservedConcurrency !== undefined) value = Math.min(value, policy.reservedConcurrency);
  if (policy.queueType === 'fifo' && policy.activeMessageGroups !== undefined)
    value = Math.min(value, policy.activeMessageGroups);
  return Math.max(MINIMUM_SQS_CONCURRENCY, value);
}

/** The state before any alarm has fired: the floor and no degradation. */
export function initialScalingState(policy: ScalingPolicy): ScalingState {
  return {
    level: 'normal',
    maximumConcurrency: clampConcurrency(policy, policy.floor),
    alarms: {},
    updatedAt: new Date(0).toISOString(),
  };
}

/** Highest step whose alarm is in ALARM according to `alarms`. */
export function activeStep(
  policy: ScalingPolicy,
  alarms: Readonly<Record<string, StepAlarmRecord>>,
): ScalingStep | undefined {
  let active: ScalingStep | undefined;
  for (const step of policy.steps) if (alarms[step.alarmName]?.state === 'ALARM') active = step;
  return active;
}

/**
 * Applies one alarm event to the stored state (or to the initial state when nothing is stored).
 *
 * @example
 * const decision = decideScaling(policy, stored?.state, parseAlarmStateChange(event));
 * if (decision.kind === 'apply') console.log(decision.next.maximumConcurrency, decision.next.level);
 */
export function decideScaling(
  policy: ScalingPolicy,
  stored: ScalingState | undefined,
  event: AlarmStateChange,
): ScalingDecision {
  if (!policy.steps.some((step) => step.alarmName === event.alarmName))
    return { kind: 'ignore', reason: 'unknown-alarm' };
  const current = stored ?? initialScalingState(policy);
  const previous = current.alarms[event.alarmName];
  if (previous) {
    const order = compareTimestamps(event.timestamp, previous.timestamp);
    if (order < 0) return { kind: 'ignore', reason: 'stale' };
    if (order === 0) return { kind: 'ignore', reason: 'repeated' };
  }
  const alarms = { ...current.alarms, [event.alarmName]: { state: event.state, timestamp: event.timestamp } };
  const step = activeStep(policy, alarms);
  const maximumConcurrency = clampConcurrency(policy, step?.maximumConcurrency ?? policy.floor);
  const level: DegradationLevel = step?.degradation ?? 'normal';
  const updatedAt =
    compareTimestamps(event.timestamp, current.updatedAt) > 0 ? event.timestamp : current.updatedAt;
  return {
    kind: 'apply',
    next: { level, maximumConcurrency, alarms, updatedAt },
    activeStep: step?.name,
    concurrencyChanged: stored === undefined || maximumConcurrency !== current.maximumConcurrency,
    levelChanged: level !== current.level,
  };
}

function compareTimestamps(a: string, b: string): number {
  const left = Date.parse(a);
  const right = Date.parse(b);
  if (Number.isNaN(left) || Number.isNaN(right)) throw new Error(`Invalid alarm timestamp: ${a} / ${b}`);
  return Math.sign(left - right);
}

const alarmStateChangeEventSchema = z.object({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.object({
    alarmName: z.string().min(1),
    state: z.object({
      value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      timestamp: z.string().min(1),
    }),
  }),
});

/**
 * Reads an EventBridge "CloudWatch Alarm State Change" event; throws naming what is wrong.
 *
 * @example
 * const change = parseAlarmStateChange(event); // { alarmName, state: 'ALARM', timestamp }
 */
export function parseAlarmStateChange(event: unknown): AlarmStateChange {
  const parsed = alarmStateChangeEventSchema.safeParse(event);
  if (!parsed.success)
    throw new Error(`Not a CloudWatch alarm state change: ${z.prettifyError(parsed.error)}`);
  const { alarmName, state } = parsed.data.detail;
  return { alarmName, state: state.value, timestamp: state.timestamp };
}

/** Port: the stored scaling state, with optimistic concurrency on a version number. */
export interface ScalingStateStore {
  load(): Promise<{ readonly state: ScalingState; readonly version: number } | undefined>;
  /** Writes `state` only if the stored version is still `expectedVersion` (0: nothing stored); false otherwise. */
  save(state: ScalingState, expectedVersion: number): Promise<boolean>;
}

/** Port: the event source mapping's concurrency knob. */
export interface ConcurrencyControl {
  setMaximumConcurrency(value: number): Promise<void>;
}

/** The decision {@link applyAlarmEvent} applied. */
export interface ScalerOutcome {
  readonly decision: ScalingDecision;
  /** Write attempts needed (more than one when another scaler invocation won a race). */
  readonly attempts: number;
}

/**
 * Applies one alarm event: decide, update the event source mapping, then store the state with a
 * conditional write. The mapping is updated before the state is stored so that a failure in
 * between leaves the event unapplied and its retry is not mistaken for a repeat. A lost race
 * re-reads and decides again.
 *
 * @example
 * const { decision } = await applyAlarmEvent(policy, parseAlarmStateChange(event), { store, control });
 */
export async function applyAlarmEvent(
  policy: ScalingPolicy,
  event: AlarmStateChange,
  ports: { readonly store: ScalingStateStore; readonly control: ConcurrencyControl },
  maxAttempts = 5,
): Promise<ScalerOutcome> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const stored = await ports.store.load();
    const decision = decideScaling(policy, stored?.state, event);
    if (decision.kind === 'ignore') return { decision, attempts: attempt };
    // After a lost race the mapping may hold the loser's value, so it is written again.
    if (decision.concurrencyChanged || attempt > 1)
      await ports.control.setMaximumConcurrency(decision.next.maximumConcurrency);
    if (await ports.store.save(decision.next, stored?.version ?? 0)) return { decision, attempts: attempt };
  }
  throw new Error(`Scaling state kept changing under ${maxAttempts} attempts; the event will be retried`);
}
