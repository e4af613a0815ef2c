/**
 * EventBridge schedule expressions: `rate(5 minutes)` and the six-field AWS cron
 * `cron(minutes hours day-of-month month day-of-week year)` in UTC. Supported in cron fields:
 * `*`, `?`, lists, ranges, steps, month names (JAN-DEC) and day names (SUN-SAT, or 1-7 = SUN-SAT).
 * `L`, `W` and `#` are rejected rather than silently misread.
 */

export class ScheduleExpressionError extends Error {}

export type Schedule =
  | { readonly kind: 'rate'; readonly intervalMs: number }
  | { readonly kind: 'cron'; readonly fields: CronFields };

export interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  /** Undefined when `?` (day-of-week decides). */
  readonly daysOfMonth: ReadonlySet<number> | undefined;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday; undefined when `?`. */
  readonly daysOfWeek: ReadonlySet<number> | undefined;
  readonly years: ReadonlySet<number> | undefined;
}

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3600_000,
  hours: 3600_000,
  day: 86_400_000,
  days: 86_400_000,
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseScheduleExpression(expression: string): Schedule {
  const rate = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    const unitMs = UNIT_MS[unit];
    if (!unitMs || value < 1) throw new ScheduleExpressionError(`Parameter ScheduleExpression is not valid.`);
    // AWS insists on the singular for 1 and the plural otherwise.
    if ((value === 1) !== !unit.endsWith('s')) {
      throw new ScheduleExpressionError(`Parameter ScheduleExpression is not valid.`);
    }
    return { kind: 'rate', intervalMs: value * unitMs };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (cron) return { kind: 'cron', fields: parseCron(cron[1]!) };
  throw new ScheduleExpressionError('Parameter ScheduleExpression is not valid.');
}

function parseCron(body: string): CronFields {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw new ScheduleExpressionError('Parameter ScheduleExpression is not valid.');
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    // AWS requires exactly one of day-of-month and day-of-week to be '?'.
    throw new ScheduleExpressionError('Parameter ScheduleExpression is not valid.');
  }
  return {
    minutes: parseField(minutes, 0, 59),
    hours: parseField(hours, 0, 23),
    daysOfMonth: dom === '?' ? undefined : parseField(dom, 1, 31),
    months: parseField(month, 1, 12, MONTHS, 1),
    daysOfWeek: dow === '?' ? undefined : shiftDays(parseField(dow, 1, 7, DAYS, 1)),
    years: year === '*' ? undefined : parseField(year, 1970, 2199),
  };
}

/** AWS numbers days 1-7 from Sunday; JavaScript's getUTCDay numbers them 0-6. */
function shiftDays(days: ReadonlySet<number>): Set<number> {
  return new Set([...days].map((day) => day - 1));
}

function parseField(
  text: string,
  min: number,
  max: number,
  names: readonly string[] = [],
  nameBase = 0,
): Set<number> {
  if (/[LW#]/.test(text.replace(/[A-Z]{3}/g, ''))) {
    throw new ScheduleExpressionError(
      `Cron field '${text}' uses L, W or #, which the local cloud does not support.`,
    );
  }
  const value = (token: string): number => {
    const index = names.indexOf(token.toUpperCase());
    const number = index >= 0 ? index + nameBase : Number(token);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new ScheduleExpressionError(`Cron field value '${token}' is out of range.`);
    }
    return number;
  };
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`Bad cron step in '${text}'.`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a);
      to = value(b);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) result.add(n);
  }
  return result;
}

/** The first cron instant strictly after `afterMs` (UTC, minute resolution), or undefined within ~5 years. */
export function nextCronTime(fields: CronFields, afterMs: number): number | undefined {
  const start = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const limit = afterMs + 5 * 366 * 86_400_000;
  const date = new Date(start);
  while (date.getTime() <= limit) {
    const dayMatches =
      fields.months.has(date.getUTCMonth() + 1) &&
      (fields.years?.has(date.getUTCFullYear()) ?? true) &&
      (fields.daysOfMonth?.has(date.getUTCDate()) ?? true) &&
      (fields.daysOfWeek?.has(date.getUTCDay()) ?? true);
    if (!dayMatches) {
      date.setUTCHours(0, 0, 0, 0);
      date.setUTCDate(date.getUTCDate() + 1);
      continue;
    }
    if (!fields.hours.has(date.getUTCHours())) {
      date.setUTCMinutes(0, 0, 0);
      date.setUTCHours(date.getUTCHours() + 1);
      continue;
    }
    if (!fields.minutes.has(date.getUTCMinutes())) {
      date.setUTCMinutes(date.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return date.getTime();
  }
  return undefined;
}
