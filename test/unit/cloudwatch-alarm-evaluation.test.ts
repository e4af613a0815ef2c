/**
 * CloudWatch alarm evaluation as a table: M out of N, every missing-data mode, every comparison.
 * `_` marks a period without data; `X` breaching, `o` not breaching (threshold 10, operator >).
 */
import { describe, expect, it } from 'vitest';
import {
  type AlarmState,
  type ComparisonOperator,
  evaluateAlarm,
  isBreaching,
  type TreatMissingData,
} from '../../packages/local-cloud/src/cloudwatch/alarm-evaluation.js';

const BREACH = 20;
const FINE = 1;

/** `'X o _'` -> [20, 1, undefined] */
function window(pattern: string): (number | undefined)[] {
  return pattern.split(' ').map((symbol) => (symbol === 'X' ? BREACH : symbol === 'o' ? FINE : undefined));
}

function evaluate(
  pattern: string,
  m: number,
  treatMissingData: TreatMissingData,
  currentState: AlarmState = 'OK',
) {
  return evaluateAlarm({
    datapoints: window(pattern),
    threshold: 10,
    comparisonOperator: 'GreaterThanThreshold',
    datapointsToAlarm: m,
    treatMissingData,
    currentState,
  });
}

describe('M out of N with complete data', () => {
  it.each([
    ['X X X', 3, 'ALARM'],
    ['X o X', 3, 'OK'],
    ['X o X', 2, 'ALARM'],
    ['o o X', 2, 'OK'],
    ['o o X', 1, 'ALARM'],
    ['o o o', 1, 'OK'],
    ['X o o o X', 2, 'ALARM'],
  ] as const)('%s with M=%i -> %s', (pattern, m, expected) => {
    for (const mode of ['missing', 'ignore', 'breaching', 'notBreaching'] as const) {
      expect(evaluate(pattern, m, mode).state).toBe(expected);
    }
  });
});

describe('missing data', () => {
  it.each([
    // pattern, M, current state, missing, ignore, breaching, notBreaching
    ['_ _ _', 3, 'OK', 'INSUFFICIENT_DATA', 'OK', 'ALARM', 'OK'],
    ['_ _ _', 3, 'ALARM', 'INSUFFICIENT_DATA', 'ALARM', 'ALARM', 'OK'],
    ['_ _ X', 3, 'OK', 'ALARM', 'ALARM', 'ALARM', 'OK'],
    ['_ _ o', 3, 'ALARM', 'OK', 'OK', 'OK', 'OK'],
    ['X _ X', 3, 'OK', 'ALARM', 'ALARM', 'ALARM', 'OK'],
    ['X _ o', 2, 'OK', 'OK', 'OK', 'ALARM', 'OK'],
    ['X X _', 2, 'OK', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['o _ _', 1, 'ALARM', 'OK', 'OK', 'ALARM', 'OK'],
  ] as const)('%s with M=%i from %s', (pattern, m, current, missing, ignore, breaching, notBreaching) => {
    expect(evaluate(pattern, m, 'missing', current).state).toBe(missing);
    expect(evaluate(pattern, m, 'ignore', current).state).toBe(ignore);
    expect(evaluate(pattern, m, 'breaching', current).state).toBe(breaching);
    expect(evaluate(pattern, m, 'notBreaching', current).state).toBe(notBreaching);
  });

  it('ignore keeps INSUFFICIENT_DATA when there has never been data', () => {
    expect(evaluate('_ _', 1, 'ignore', 'INSUFFICIENT_DATA').state).toBe('INSUFFICIENT_DATA');
  });
});

describe('comparison operators', () => {
  it.each([
    ['GreaterThanThreshold', 11, true],
    ['GreaterThanThreshold', 10, false],
    ['GreaterThanOrEqualToThreshold', 10, true],
    ['GreaterThanOrEqualToThreshold', 9, false],
    ['LessThanThreshold', 9, true],
    ['LessThanThreshold', 10, false],
    ['LessThanOrEqualToThreshold', 10, true],
    ['LessThanOrEqualToThreshold', 11, false],
  ] as const)('%s: %d against 10 breaches = %s', (operator: ComparisonOperator, value, expected) => {
    expect(isBreaching(value, operator, 10)).toBe(expected);
    const result = evaluateAlarm({
      datapoints: [value],
      threshold: 10,
      comparisonOperator: operator,
      datapointsToAlarm: 1,
      treatMissingData: 'missing',
      currentState: 'INSUFFICIENT_DATA',
    });
    expect(result.state).toBe(expected ? 'ALARM' : 'OK');
  });
});

describe('reasons', () => {
  it('names the breaching count and the threshold, like CloudWatch', () => {
    const result = evaluate('o X X', 2, 'missing');
    expect(result).toMatchObject({ state: 'ALARM', breachingCount: 2, presentCount: 3 });
    expect(result.reason).toContain('Threshold Crossed: 2 out of the last 3 datapoints');
    expect(result.reason).toContain('greater than the threshold (10.0)');
  });

  it('reports unknown datapoints when the range is empty', () => {
    expect(evaluate('_ _', 2, 'missing').reason).toMatch(/^Insufficient Data: 2 datapoints were unknown/);
  });
});
