import { describe, expect, it } from 'vitest';
import {
  type AlarmStateChange,
  applyAlarmEvent,
  clampConcurrency,
  decideScaling,
  parseAlarmStateChange,
  type ScalingPolicy,
  type ScalingState,
  type ScalingStateStore,
  scalingPolicySchema,
} from '../../packages/runtime/src/core/scaling-policy.js';

const policy: ScalingPolicy = {
  floor: 2,
  ceiling: 40,
  queueType: 'standard',
  mode: 'maximum-concurrency',
  steps: [
    { name: 'elevated', alarmName: 'backlog-elevated', maximumConcurrency: 10, degradation: 'normal' },
    { name: 'high', alarmName: 'backlog-high', maximumConcurrency: 25, degradation: 'elevated' },
    { name: 'critical', alarmName: 'backlog-critical', maximumConcurrency: 50, degradation: 'critical' },
  ],
};

const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, second)).toISOString();
const event = (alarmName: string, state: AlarmStateChange['state'], second: number): AlarmStateChange => ({
  alarmName,
  state,
  timestamp: at(second),
});

/** Folds events through the policy the way the scaler does, returning the final state. */
function replay(p: ScalingPolicy, events: readonly AlarmStateChange[]): ScalingState | undefined {
  let state: ScalingState | undefined;
  for (const e of events) {
    const decision = decideScaling(p, state, e);
    if (decision.kind === 'apply') state = decision.next;
  }
  return state;
}

describe('scaling policy: backlog steps', () => {
  it.each([
    { alarms: [] as string[], concurrency: 2, level: 'normal' },
    { alarms: ['backlog-elevated'], concurrency: 10, level: 'normal' },
    { alarms: ['backlog-elevated', 'backlog-high'], concurrency: 25, level: 'elevated' },
    // The critical step asks for 50 but the ceiling is 40.
    { alarms: ['backlog-elevated', 'backlog-high', 'backlog-critical'], concurrency: 40, level: 'critical' },
  ])(
    'with $alarms in ALARM the concurrency is $concurrency and the level $level',
    ({ alarms, concurrency, level }) => {
      const events = [
        event('backlog-elevated', 'OK', 1),
        ...alarms.map((name, index) => event(name, 'ALARM', 10 + index)),
      ];
      const state = replay(policy, events)!;
      expect(state.maximumConcurrency).toBe(concurrency);
      expect(state.level).toBe(level);
    },
  );

  it('returns to the floor and normal level when every step alarm is OK again', () => {
    const state = replay(policy, [
      event('backlog-elevated', 'ALARM', 1),
      event('backlog-high', 'ALARM', 2),
      event('backlog-high', 'OK', 3),
      event('backlog-elevated', 'OK', 4),
    ])!;
    expect(state).toMatchObject({ maximumConcurrency: 2, level: 'normal' });
  });

  it('treats INSUFFICIENT_DATA as not in alarm', () => {
    const state = replay(policy, [
      event('backlog-high', 'ALARM', 1),
      event('backlog-high', 'INSUFFICIENT_DATA', 2),
    ]);
    expect(state).toMatchObject({ maximumConcurrency: 2, level: 'normal' });
  });

  it('ignores alarms that are not backlog steps', () => {
    expect(decideScaling(policy, undefined, event('dlq-not-empty', 'ALARM', 1))).toEqual({
      kind: 'ignore',
      reason: 'unknown-alarm',
    });
  });
});

describe('scaling policy: bounds', () => {
  it.each([
    { change: {}, wanted: 1, expected: 2 },
    { change: {}, wanted: 100, expected: 40 },
    { change: { floor: 5 }, wanted: 3, expected: 5 },
    { change: { reservedConcurrency: 8 }, wanted: 25, expected: 8 },
    // Reserved concurrency below the AWS minimum still yields a valid MaximumConcurrency.
    { change: { reservedConcurrency: 1 }, wanted: 25, expected: 2 },
    // Standard queues have no partitions: the group estimate does not apply.
    { change: { activeMessageGroups: 4 }, wanted: 25, expected: 25 },
  ] as const)('with $change a wanted $wanted becomes $expected', ({ change, wanted, expected }) => {
    expect(clampConcurrency({ ...policy, ...change }, wanted)).toBe(expected);
  });

  it.each([
    { groups: 1, expected: 2 },
    { groups: 3, expected: 3 },
    { groups: 12, expected: 12 },
    { groups: 1000, expected: 40 },
    { groups: undefined, expected: 40 },
  ])(
    'on FIFO with $groups active message groups the critical step runs $expected consumers',
    ({ groups, expected }) => {
      const fifo: ScalingPolicy = { ...policy, queueType: 'fifo', activeMessageGroups: groups };
      const state = replay(fifo, [event('backlog-critical', 'ALARM', 1)])!;
      expect(state.maximumConcurrency).toBe(expected);
    },
  );

  it('rejects a policy whose floor exceeds its ceiling, naming the field', () => {
    const result = scalingPolicySchema.safeParse({ ...policy, floor: 50 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['floor']);
  });
});

describe('scaling policy: event order', () => {
  it('ignores an event older than the one already applied for the same alarm', () => {
    const state = replay(policy, [event('backlog-high', 'ALARM', 20)]);
    expect(decideScaling(policy, state, event('backlog-high', 'OK', 10))).toEqual({
      kind: 'ignore',
      reason: 'stale',
    });
  });

  it('orders the +0000-offset state timestamps CloudWatch puts in its events', () => {
    const newer = {
      alarmName: 'backlog-high',
      state: 'OK' as const,
      timestamp: '2026-11-25T10:00:01.500+0000',
    };
    const older = { ...newer, state: 'ALARM' as const, timestamp: '2026-11-25T10:00:01.250+0000' };
    const state = replay(policy, [newer]);
    expect(decideScaling(policy, state, older)).toEqual({ kind: 'ignore', reason: 'stale' });
  });

  it('ignores a redelivered event', () => {
    const state = replay(policy, [event('backlog-high', 'ALARM', 20)]);
    expect(decideScaling(policy, state, event('backlog-high', 'ALARM', 20))).toEqual({
      kind: 'ignore',
      reason: 'repeated',
    });
  });

  it('reaches the same state whatever order the events of different alarms arrive in', () => {
    const events = [
      event('backlog-elevated', 'ALARM', 1),
      event('backlog-high', 'ALARM', 2),
      event('backlog-critical', 'ALARM', 3),
      event('backlog-critical', 'OK', 4),
      event('backlog-elevated', 'ALARM', 0),
    ];
    const orders = [
      events,
      [...events].reverse(),
      [events[3]!, events[1]!, events[4]!, events[2]!, events[0]!],
    ];
    const results = orders.map((order) => replay(policy, order));
    for (const result of results) expect(result).toMatchObject({ maximumConcurrency: 25, level: 'elevated' });
    for (const result of results.slice(1)) expect(result).toEqual(results[0]);
  });

  it('reports whether the mapping and the level need to change', () => {
    const first = decideScaling(policy, undefined, event('backlog-elevated', 'ALARM', 1));
    expect(first).toMatchObject({ kind: 'apply', concurrencyChanged: true, levelChanged: false });
    if (first.kind !== 'apply') throw new Error('expected apply');
    const second = decideScaling(policy, first.next, event('backlog-high', 'ALARM', 2));
    expect(second).toMatchObject({
      kind: 'apply',
      activeStep: 'high',
      concurrencyChanged: true,
      levelChanged: true,
    });
  });
});

describe('parseAlarmStateChange', () => {
  it('reads the alarm name, state and state timestamp of an EventBridge event', () => {
    const parsed = parseAlarmStateChange({
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      time: '2026-11-25T10:00:05Z',
      detail: {
        alarmName: 'backlog-high',
        state: { value: 'ALARM', reason: 'threshold crossed', timestamp: '2026-11-25T10:00:01.000+0000' },
        previousState: { value: 'OK', timestamp: '2026-11-25T09:00:00.000+0000' },
      },
    });
    expect(parsed).toEqual({
      alarmName: 'backlog-high',
      state: 'ALARM',
      timestamp: '2026-11-25T10:00:01.000+0000',
    });
  });

  it('rejects other events with a message naming the problem', () => {
    expect(() => parseAlarmStateChange({ 'detail-type': 'Scheduled Event', detail: {} })).toThrow(
      /Not a CloudWatch alarm state change/,
    );
  });
});

class MemoryStore implements ScalingStateStore {
  stored: { state: ScalingState; version: number } | undefined;
  /** Simulates another scaler invocation writing between our read and our write. */
  interleave: (() => void) | undefined;
  async load() {
    return this.stored;
  }
  async save(state: ScalingState, expectedVersion: number) {
    this.interleave?.();
    this.interleave = undefined;
    if ((this.stored?.version ?? 0) !== expectedVersion) return false;
    this.stored = { state, version: expectedVersion + 1 };
    return true;
  }
}

describe('applyAlarmEvent', () => {
  it('updates the mapping before storing the state and skips the mapping when nothing changes', async () => {
    const store = new MemoryStore();
    const applied: number[] = [];
    const control = { setMaximumConcurrency: async (value: number) => void applied.push(value) };
    await applyAlarmEvent(policy, event('backlog-elevated', 'ALARM', 1), { store, control });
    await applyAlarmEvent(policy, event('backlog-elevated', 'ALARM', 1), { store, control });
    await applyAlarmEvent(policy, event('backlog-critical', 'INSUFFICIENT_DATA', 2), { store, control });
    expect(applied).toEqual([10]);
    expect(store.stored).toMatchObject({ version: 2, state: { maximumConcurrency: 10 } });
  });

  it('re-decides and re-applies after losing a race with another scaler', async () => {
    const store = new MemoryStore();
    const applied: number[] = [];
    const control = { setMaximumConcurrency: async (value: number) => void applied.push(value) };
    store.interleave = () => {
      const other = decideScaling(policy, undefined, event('backlog-high', 'ALARM', 5));
      if (other.kind === 'apply') store.stored = { state: other.next, version: 1 };
    };
    const outcome = await applyAlarmEvent(policy, event('backlog-elevated', 'ALARM', 4), { store, control });
    expect(outcome.attempts).toBe(2);
    expect(store.stored?.state).toMatchObject({ maximumConcurrency: 25, level: 'elevated' });
    expect(applied.at(-1)).toBe(25);
  });

  it('does not store the state when the mapping update fails, so the retry is not a repeat', async () => {
    const store = new MemoryStore();
    const failing = {
      setMaximumConcurrency: async () => {
        throw new Error('throttled');
      },
    };
    await expect(
      applyAlarmEvent(policy, event('backlog-high', 'ALARM', 1), { store, control: failing }),
    ).rejects.toThrow('throttled');
    expect(store.stored).toBeUndefined();
  });
});
