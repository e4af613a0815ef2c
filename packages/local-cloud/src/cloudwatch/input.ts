/**
 * Typed reading of CloudWatch requests against the shapes and limits of the CloudWatch API
 * reference (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/): a member of the
 * wrong JSON type is a SerializationException, a missing required member a
 * MissingRequiredParameterException, and a value outside its documented length, range or enum a
 * ValidationError with AWS's "1 validation error detected" message. Nothing a request carries
 * reaches the metric store or the alarms unchecked.
 */

import { type Input, JsonInputReader, validationMessage } from '../json-input.js';
import { AwsError } from '../protocol.js';
import type { Dimension } from './metric-store.js';

export type { Input } from '../json-input.js';

/** `path` is the member's name as AWS writes it in messages: `metricData.1.value`. */
export function serialization(path: string): AwsError {
  return new AwsError('SerializationException', `Unexpected value type in payload for member ${path}.`);
}

export function missing(path: string): AwsError {
  return new AwsError('MissingRequiredParameterException', `The parameter ${path} is required.`);
}

export function constraint(path: string, value: unknown, rule: string): AwsError {
  return new AwsError('ValidationError', validationMessage(path, value, rule));
}

const reader = new JsonInputReader({ missing, serialization, constraint });
export const structure = reader.structure.bind(reader);
export const optionalStructure = reader.optionalStructure.bind(reader);
export const string = reader.string.bind(reader);
export const requiredString = reader.requiredString.bind(reader);
export const number = reader.number.bind(reader);
export const boolean = reader.boolean.bind(reader);
export const list = reader.list.bind(reader);
export const stringList = reader.stringList.bind(reader);
export const structures = reader.structures.bind(reader);

/** Dimension: Name 1-255, Value 1-1024; at most 30 per metric (API_Dimension.html). */
export function dimensions(input: Input, name: string, path = name): Dimension[] {
  return structures(input, name, { max: 30 }, path).map((dimension, index) => ({
    Name: requiredString(dimension, 'Name', { max: 255 }, `${path}.${index + 1}.name`),
    Value: requiredString(dimension, 'Value', { max: 1024 }, `${path}.${index + 1}.value`),
  }));
}

/** DimensionFilter (ListMetrics): Value optional; at most 10 (API_ListMetrics.html). */
export function dimensionFilters(input: Input, name: string): { Name: string; Value?: string }[] {
  return structures(input, name, { max: 10 }).map((filter, index) => {
    const value = string(filter, 'Value', { min: 1, max: 1024 }, `${name}.${index + 1}.value`);
    return {
      Name: requiredString(filter, 'Name', { max: 255 }, `${name}.${index + 1}.name`),
      ...(value !== undefined ? { Value: value } : {}),
    };
  });
}

/** The latest time JavaScript dates can show, so every timestamp the store keeps can be rendered. */
const MAX_DATE_MS = 8.64e15;

/** JSON-protocol timestamps are epoch seconds; ISO strings are accepted too. Milliseconds out. */
export function timestamp(
  input: Input,
  name: string,
  rule: { readonly required?: boolean } = {},
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) {
    if (rule.required) throw missing(name);
    return undefined;
  }
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string')
    ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  else throw serialization(name);
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw new AwsError('InvalidParameterValueException', `The parameter ${name} is not a valid timestamp.`);
  }
  return ms;
}

/** Units of MetricDatum, MetricStat and alarms (API_MetricDatum.html). */
export const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;

export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;

/**
 * CloudWatch "rejects values that are either too small or too large. Values must be in the range
 * of -2^360 to 2^360", and NaN and infinities (API_MetricDatum.html).
 */
export function metricValue(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw serialization(path);
  const magnitude = Math.abs(value);
  if (magnitude > 2 ** 360 || (magnitude !== 0 && magnitude < 2 ** -360)) {
    throw new AwsError(
      'InvalidParameterValueException',
      `The value ${value} for parameter ${path} is out of range: values must be between -2^360 and 2^360.`,
    );
  }
  return value;
}

/** MetricDataQuery (GetMetricData and alarms' Metrics), API_MetricDataQuery.html. */
export interface MetricDataQueryInput {
  readonly Id: string;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions?: Dimension[];
    };
    readonly Period: number;
    readonly Stat: string;
    readonly Unit?: string;
  };
  readonly Expression?: string;
  readonly Label?: string;
  readonly ReturnData?: boolean;
  readonly Period?: number;
}

export function metricDataQueries(
  input: Input,
  name: string,
  rule: { readonly required?: boolean; readonly max?: number },
): MetricDataQueryInput[] {
  return structures(input, name, rule).map((query, index) => {
    const path = `${name}.${index + 1}`;
    const id = requiredString(query, 'Id', { max: 255, pattern: /^[a-z][a-zA-Z0-9_]*$/ }, `${path}.id`);
    const expression = string(query, 'Expression', { min: 1, max: 2048 }, `${path}.expression`);
    const label = string(query, 'Label', {}, `${path}.label`);
    const returnData = boolean(query, 'ReturnData', `${path}.returnData`);
    const period = number(query, 'Period', { integer: true, min: 1 }, `${path}.period`);
    const stat = optionalStructure(query, 'MetricStat', `${path}.metricStat`);
    let metricStat: MetricDataQueryInput['MetricStat'];
    if (stat) {
      const metric = structure(stat.Metric, `${path}.metricStat.metric`);
      const unit = string(stat, 'Unit', { values: UNITS }, `${path}.metricStat.unit`);
      metricStat = {
        Metric: {
          Namespace: requiredString(metric, 'Namespace', { max: 255 }, `${path}.metricStat.metric.namespace`),
          MetricName: requiredString(
            metric,
            'MetricName',
            { max: 255 },
            `${path}.metricStat.metric.metricName`,
          ),
          Dimensions: dimensions(metric, 'Dimensions', `${path}.metricStat.metric.dimensions`),
        },
        Period: number(
          stat,
          'Period',
          { required: true, integer: true, min: 1 },
          `${path}.metricStat.period`,
        )!,
        Stat: requiredString(stat, 'Stat', { max: 255 }, `${path}.metricStat.stat`),
        ...(unit !== undefined ? { Unit: unit } : {}),
      };
    }
    if ((metricStat === undefined) === (expression === undefined)) {
      throw new AwsError(
        'InvalidParameterValueException',
        `Exactly one of MetricStat and Expression must be given in ${path}.`,
      );
    }
    return {
      Id: id,
      ...(metricStat ? { MetricStat: metricStat } : {}),
      ...(expression !== undefined ? { Expression: expression } : {}),
      ...(label !== undefined ? { Label: label } : {}),
      ...(returnData !== undefined ? { ReturnData: returnData } : {}),
      ...(period !== undefined ? { Period: period } : {}),
    };
  });
}
