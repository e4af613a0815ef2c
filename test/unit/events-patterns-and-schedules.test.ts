/**
 * EventBridge's pure parts: event pattern matching and schedule expressions (rate and AWS cron).
 */
import { describe, expect, it } from 'vitest';
import {
  EventPatternError,
  matchesEventPattern,
  parseEventPattern,
} from '../../packages/local-cloud/src/events/event-pattern.js';
import {
  nextCronTime,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../../packages/local-cloud/src/events/schedule-expression.js';

const alarmEvent = {
  version: '0',
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  resources: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:oncely-backlog-high'],
  detail: {
    alarmName: 'oncely-backlog-high',
    state: { value: 'ALARM' },
    previousState: { value: 'OK' },
    configuration: { metrics: [{ id: 'm1' }] },
    depth: 42,
  },
};

describe('event patterns', () => {
  it.each([
    [{ source: ['aws.cloudwatch'] }, true],
    [{ source: ['aws.events'] }, false],
    [{ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] }, true],
    [{ detail: { alarmName: [{ prefix: 'oncely-' }] } }, true],
    [{ detail: { alarmName: [{ prefix: 'other-' }] } }, false],
    [{ detail: { alarmName: [{ suffix: '-high' }] } }, true],
    [{ detail: { state: { value: ['ALARM', 'OK'] } } }, true],
    [{ detail: { state: { value: [{ 'anything-but': 'OK' }] } } }, true],
    [{ detail: { state: { value: [{ 'anything-but': ['ALARM', 'OK'] }] } } }, false],
    [{ detail: { alarmName: [{ 'anything-but': { prefix: 'oncely-' } }] } }, false],
    [{ detail: { alarmName: [{ 'equals-ignore-case': 'ONCELY-BACKLOG-HIGH' }] } }, true],
    [{ detail: { depth: [{ numeric: ['>', 10, '<=', 42] }] } }, true],
    [{ detail: { depth: [{ numeric: ['>', 42] }] } }, false],
    [{ detail: { reason: [{ exists: false }] } }, true],
    [{ detail: { reason: [{ exists: true }] } }, false],
    [{ detail: { alarmName: [{ exists: true }] } }, true],
    [{ resources: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:oncely-backlog-high'] }, true],
    [{ detail: { missing: { nested: ['x'] } } }, false],
    [{ $or: [{ source: ['nope'] }, { detail: { depth: [42] } }] }, true],
  ])('%j matches = %s', (pattern, expected) => {
    expect(matchesEventPattern(parseEventPattern(JSON.stringify(pattern)), alarmEvent)).toBe(expected);
  });

  it('rejects patterns whose leaves are not arrays', () => {
    expect(() => parseEventPattern('{"source":"aws.events"}')).toThrow(EventPatternError);
    expect(() => parseEventPattern('not json')).toThrow(EventPatternError);
  });
});

describe('schedule expressions', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
  ])('%s fires every %i ms', (expression, intervalMs) => {
    expect(parseScheduleExpression(expression)).toEqual({ kind: 'rate', intervalMs });
  });

  it.each(['rate(1 minutes)', 'rate(5 minute)', 'rate(0 minutes)', 'rate(5 weeks)', 'every 5 minutes'])(
    'rejects %s',
    (expression) => {
      expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    },
  );

  it.each([
    ['cron(0 12 * * ? *)', '2026-11-25T10:30:00Z', '2026-11-25T12:00:00.000Z'],
    ['cron(0/15 * * * ? *)', '2026-11-25T10:31:00Z', '2026-11-25T10:45:00.000Z'],
    ['cron(0 8 ? * MON-FRI *)', '2026-11-28T09:00:00Z', '2026-11-30T08:00:00.000Z'],
    ['cron(30 9 1 * ? *)', '2026-11-25T10:00:00Z', '2026-12-01T09:30:00.000Z'],
    ['cron(0 0 ? * 1 *)', '2026-11-25T10:00:00Z', '2026-11-29T00:00:00.000Z'],
    ['cron(15 10 25 NOV ? 2027)', '2026-11-25T10:20:00Z', '2027-11-25T10:15:00.000Z'],
  ])('%s after %s fires at %s', (expression, after, expected) => {
    const schedule = parseScheduleExpression(expression);
    if (schedule.kind !== 'cron') throw new Error('expected a cron schedule');
    expect(new Date(nextCronTime(schedule.fields, Date.parse(after))!).toISOString()).toBe(expected);
  });

  it.each([
    'cron(0 12 * * * *)',
    'cron(0 12 ? * ? *)',
    'cron(0 12 * *)',
    'cron(0 12 L * ? *)',
    'cron(61 * * * ? *)',
  ])('rejects %s', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
  });
});
