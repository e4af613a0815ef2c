/**
 * Pure parts of batch commits with claims on business items (see EventHandler.claimOn and
 * docs/consumer.md, "Batch commits"): where a claim rides, which writes collide, and how the counter
 * steps of several messages fold into one write.
 *
 *   message 1: Put ledger#o1 (+claim)   counter balance#a -30 (>= 0)
 *   message 2: Put ledger#o2 (+claim)   counter balance#a -50 (>= 0)
 *   message 3: Put ledger#o3 (+claim)   counter balance#a -70 (>= 0)     balance read: 100
 *   simulate in order: 100-30=70 ok, 70-50=20 ok, 20-70 < 0 -> message 3 rejected
 *   one transaction:   Put o1, Put o2, Update balance#a = balance + (-80) IF balance = 100
 */
import { CLAIM_ATTRIBUTE } from '../tables.js';
import type { AttributeValues, CounterStep, TransactionWrite } from '../transaction-write.js';
import type { ClaimTarget } from './event-handlers.js';
import type { RecordClaim } from './ports.js';

/** A stable string for (table, key), whatever the order of the key's attributes. */
export function itemKey(tableName: string, key: Readonly<Record<string, unknown>>): string {
  const parts = Object.keys(key)
    .sort()
    .map((name) => [name, key[name]]);
  return JSON.stringify([tableName, parts]);
}

/** The item a write targets, when it can be told from the write alone (Put items have no Key). */
export function writeTarget(write: TransactionWrite): ClaimTarget | undefined {
  const action = write.Update ?? write.Delete ?? write.ConditionCheck;
  return action ? { TableName: action.TableName, Key: action.Key } : undefined;
}

/** True when `write` is a Put of the target item (every key attribute equal). */
export function putsTarget(write: TransactionWrite, target: ClaimTarget): boolean {
  const put = write.Put;
  if (!put || put.TableName !== target.TableName) return false;
  return Object.entries(target.Key).every(([name, value]) => sameValue(put.Item[name], value));
}

function sameValue(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

/** Why a handler's writes cannot carry its claim; undefined when they can. */
export function claimTargetProblem(
  writes: readonly TransactionWrite[],
  target: ClaimTarget,
): string | undefined {
  if (Object.keys(target.Key).length === 0) return 'claimOn returned an empty Key';
  const onTarget = writes.filter((write) => {
    const other = writeTarget(write);
    return (
      other !== undefined && itemKey(other.TableName, other.Key) === itemKey(target.TableName, target.Key)
    );
  });
  if (onTarget.length > 0) return 'the claim item may only be written with a Put (claimOn names it)';
  if (writes.filter((write) => putsTarget(write, target)).length > 1) return 'two Puts of the claim item';
  return undefined;
}

const CLAIM_GUARD = 'attribute_not_exists(#oncelyClaimKey)';

/**
 * The writes of one message with its claim on the target: the handler's Put of the target gains the
 * claim attribute and `attribute_not_exists` on the key, or a claim-only Put is added.
 */
export function writesWithClaim(
  writes: readonly TransactionWrite[],
  target: ClaimTarget,
  claim: RecordClaim,
): TransactionWrite[] {
  const keyName = Object.keys(target.Key)[0] as string;
  let carried = false;
  const result = writes.map((write) => {
    if (!write.Put || !putsTarget(write, target)) return write;
    carried = true;
    const put = write.Put;
    return {
      ...write,
      Put: {
        ...put,
        Item: { ...put.Item, [CLAIM_ATTRIBUTE]: claim },
        ConditionExpression: put.ConditionExpression
          ? `(${put.ConditionExpression}) AND ${CLAIM_GUARD}`
          : CLAIM_GUARD,
        ExpressionAttributeNames: { ...put.ExpressionAttributeNames, '#oncelyClaimKey': keyName },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
  });
  return carried ? result : [claimOnlyPut(target, claim), ...result];
}

/** A Put of an item holding only the target's key and the claim, if nothing lives there. */
export function claimOnlyPut(target: ClaimTarget, claim: RecordClaim): TransactionWrite {
  return {
    Put: {
      TableName: target.TableName,
      Item: { ...target.Key, [CLAIM_ATTRIBUTE]: claim },
      ConditionExpression: CLAIM_GUARD,
      ExpressionAttributeNames: { '#oncelyClaimKey': Object.keys(target.Key)[0] as string },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** The claim an existing business item carries, if any. */
export function claimOf(
  item: Readonly<Record<string, unknown>> | undefined,
): Partial<RecordClaim> | undefined {
  const value = item?.[CLAIM_ATTRIBUTE];
  return value !== null && typeof value === 'object' ? (value as Partial<RecordClaim>) : undefined;
}

/** One counter (an attribute of an item) and the steps of the messages on it, in message order. */
export interface CounterKey {
  readonly target: ClaimTarget;
  readonly attribute: string;
}

/** A counter step of one message, with its write (for the rejection reason). */
export interface MessageCounterStep {
  readonly step: CounterStep;
  readonly rejectionReason: string | undefined;
  readonly target: ClaimTarget;
}

/** The counter steps among a message's writes, and the rest. */
export function splitCounterSteps(writes: readonly TransactionWrite[]): {
  readonly steps: MessageCounterStep[];
  readonly others: TransactionWrite[];
} {
  const steps: MessageCounterStep[] = [];
  const others: TransactionWrite[] = [];
  for (const write of writes) {
    if (write.counter && write.Update) {
      steps.push({
        step: write.counter,
        rejectionReason: write.rejectionReason,
        target: { TableName: write.Update.TableName, Key: write.Update.Key },
      });
    } else others.push(write);
  }
  return { steps, others };
}

/** Counter values as read: item key -> attribute -> value; an absent item has no entry. */
export type CounterValues = Map<string, Map<string, number | undefined>>;

/**
 * Runs the messages' counter steps in order from the values read. A message whose step would take
 * a counter below its floor (or steps a floored counter that does not exist) is rejected with that
 * write's reason and changes nothing; the others' steps add up. Returns each message's verdict and
 * the sum per counter.
 */
export function simulateCounters(
  messages: readonly (readonly MessageCounterStep[])[],
  values: CounterValues,
): { readonly rejections: (string | undefined)[]; readonly sums: Map<string, Map<string, number>> } {
  const running = new Map<string, Map<string, number | undefined>>();
  const current = (key: string, attribute: string) =>
    running.get(key)?.has(attribute) ? running.get(key)?.get(attribute) : values.get(key)?.get(attribute);
  const sums = new Map<string, Map<string, number>>();
  const rejections = messages.map((steps) => {
    for (const { step, target, rejectionReason } of steps) {
      const key = itemKey(target.TableName, target.Key);
      const value = current(key, step.attribute);
      if (step.atLeast !== undefined && (value === undefined || value + step.add < step.atLeast))
        return rejectionReason ?? 'condition-failed';
    }
    for (const { step, target } of steps) {
      const key = itemKey(target.TableName, target.Key);
      const value = current(key, step.attribute);
      const attributes = running.get(key) ?? new Map<string, number | undefined>();
      attributes.set(step.attribute, (value ?? 0) + step.add);
      running.set(key, attributes);
      const sum = sums.get(key) ?? new Map<string, number>();
      sum.set(step.attribute, (sum.get(step.attribute) ?? 0) + step.add);
      sums.set(key, sum);
    }
    return undefined;
  });
  return { rejections, sums };
}

/**
 * One Update per counter item: every summed attribute stepped at once, guarded by the values the
 * simulation started from (so a concurrent change cancels the transaction instead of being lost).
 */
export function mergedCounterUpdate(
  target: ClaimTarget,
  sums: ReadonlyMap<string, number>,
  observed: ReadonlyMap<string, number | undefined> | undefined,
): TransactionWrite {
  const names: Record<string, string> = {};
  const values: AttributeValues = { ':zero': 0 };
  const sets: string[] = [];
  const guards: string[] = [];
  [...sums.entries()].forEach(([attribute, sum], index) => {
    names[`#c${index}`] = attribute;
    (values as Record<string, unknown>)[`:s${index}`] = sum;
    sets.push(`#c${index} = if_not_exists(#c${index}, :zero) + :s${index}`);
    const seen = observed?.get(attribute);
    if (seen === undefined) guards.push(`attribute_not_exists(#c${index})`);
    else {
      (values as Record<string, unknown>)[`:o${index}`] = seen;
      guards.push(`#c${index} = :o${index}`);
    }
  });
  return {
    Update: {
      TableName: target.TableName,
      Key: target.Key,
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: guards.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** Splits sorted seqs into runs that each span less than `span` (for consumption-log items). */
export function chunkBySpan(seqs: readonly number[], span: number): number[][] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const chunks: number[][] = [];
  for (const seq of sorted) {
    const last = chunks.at(-1);
    if (last && seq - (last[0] as number) < span) last.push(seq);
    else chunks.push([seq]);
  }
  return chunks;
}
