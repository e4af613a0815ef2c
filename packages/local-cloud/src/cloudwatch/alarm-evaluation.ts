/**
 * Pure alarm evaluation: given the datapoints of an alarm's evaluation range, decide its next
 * state the way CloudWatch documents it ("Evaluating an alarm", "Configuring how CloudWatch
 * alarms treat missing data"). No clock, no I/O: the alarm registry feeds it one window per tick.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export const ALARM_STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];

export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export const TREAT_MISSING_DATA: readonly TreatMissingData[] = [
  'missing',
  'notBreaching',
  'breaching',
  'ignore',
];

export interface EvaluationInput {
  /** One entry per period of the evaluation range, oldest first; `undefined` = no data in that period. */
  readonly datapoints: readonly (number | undefined)[];
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** M of "M out of N"; N is `datapoints.length`. */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  readonly currentState: AlarmState;
}

export interface EvaluationResult {
  readonly state: AlarmState;
  /** Human-readable, in the spirit of CloudWatch's `StateReason`. */
  readonly reason: string;
  readonly breachingCount: number;
  readonly presentCount: number;
}

const OPERATOR_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** Whether one value breaches the threshold under the operator. */
export function isBreaching(value: number, operator: ComparisonOperator, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/**
 * Decides the alarm's next state.
 *
 * - `breaching` / `notBreaching`: a missing period counts as breaching / not breaching, then plain
 *   M-out-of-N.
 * - `missing` / `ignore`: only the periods that have data count. With no data at all, `missing`
 *   goes to INSUFFICIENT_DATA and `ignore` keeps the current state. With fewer real datapoints than
 *   M, the present ones decide on their own (all breaching -> ALARM, else OK), which is how
 *   CloudWatch's documented table treats a partially filled evaluation range.
 */
export function evaluateAlarm(input: EvaluationInput): EvaluationResult {
  const n = input.datapoints.length;
  const m = Math.min(Math.max(1, input.datapointsToAlarm), Math.max(1, n));
  const present = input.datapoints.filter((value): value is number => value !== undefined);
  const breachingPresent = present.filter((value) =>
    isBreaching(value, input.comparisonOperator, input.threshold),
  ).length;
  const missingCount = n - present.length;
  const base = { presentCount: present.length };

  if (input.treatMissingData === 'breaching' || input.treatMissingData === 'notBreaching') {
    const breachingCount = breachingPresent + (input.treatMissingData === 'breaching' ? missingCount : 0);
    const state: AlarmState = breachingCount >= m ? 'ALARM' : 'OK';
    return { ...base, state, breachingCount, reason: describe(input, state, breachingCount, n, m) };
  }

  if (present.length === 0) {
    if (input.treatMissingData === 'ignore') {
      return {
        ...base,
        state: input.currentState,
        breachingCount: 0,
        reason: `No datapoints in the last ${n} period(s); missing data is ignored, state kept.`,
      };
    }
    return {
      ...base,
      state: 'INSUFFICIENT_DATA',
      breachingCount: 0,
      reason: `Insufficient Data: ${n} datapoint${n === 1 ? ' was' : 's were'} unknown.`,
    };
  }

  const alarming = present.length >= m ? breachingPresent >= m : breachingPresent === present.length;
  const state: AlarmState = alarming ? 'ALARM' : 'OK';
  return {
    ...base,
    state,
    breachingCount: breachingPresent,
    reason: describe(input, state, breachingPresent, present.length, Math.min(m, present.length)),
  };
}

function describe(
  input: EvaluationInput,
  state: AlarmState,
  breaching: number,
  considered: number,
  needed: number,
): string {
  const values = input.datapoints
    .filter((value): value is number => value !== undefined)
    .slice(-5)
    .map((value) => formatNumber(value))
    .join(', ');
  const words = OPERATOR_WORDS[input.comparisonOperator];
  if (state === 'ALARM') {
    return (
      `Threshold Crossed: ${breaching} out of the last ${considered} datapoints [${values}] ` +
      `${breaching === 1 ? 'was' : 'were'} ${words} the threshold (${formatNumber(input.threshold)}) ` +
      `(minimum ${needed} datapoint${needed === 1 ? '' : 's'} for OK -> ALARM transition).`
    );
  }
  return (
    `Threshold Crossed: ${considered - breaching} out of the last ${considered} datapoints [${values}] ` +
    `${considered - breaching === 1 ? 'was' : 'were'} not ${words} the threshold ` +
    `(${formatNumber(input.threshold)}) (minimum ${Math.max(1, considered - needed + 1)} ` +
    `datapoint${considered - needed + 1 === 1 ? '' : 's'} for ALARM -> OK transition).`
  );
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
