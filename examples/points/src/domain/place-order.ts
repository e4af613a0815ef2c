/**
 * The trade service's side of the running example: placing an order writes the order and, through
 * the outbox in the same transaction, a `points.deduct` event keyed by account (so one account's
 * deductions stay in order on a FIFO queue). Placing the same order twice is harmless: the order's
 * condition fails, nothing is published, and the caller learns the order already exists.
 */

import type { Envelope, EventDraft } from '@oncely/runtime';
import { BusinessConditionFailedError, type TransactionWrite } from '@oncely/runtime';
import { PARTITION_KEY } from '@oncely/runtime/contract';
import { z } from 'zod';
import { POINTS_DEDUCT, type PointsDeduct } from './points-deduct.js';

export const placeOrderInputSchema = z
  .object({
    orderId: z.string().min(1).max(256),
    accountId: z.string().min(1).max(128),
    amount: z.number().int().positive(),
  })
  .loose();

export type PlaceOrderInput = z.infer<typeof placeOrderInputSchema>;

/** What placing an order needs from the producer: OutboxProducer.transact. */
export interface TransactionalPublisher {
  transact(
    writes: readonly TransactionWrite[],
    events: readonly EventDraft[],
  ): Promise<{ envelopes: Envelope[] }>;
}

export type PlaceOrderResult =
  | { readonly status: 'PLACED'; readonly orderId: string; readonly eventId: string }
  | { readonly status: 'ALREADY_PLACED'; readonly orderId: string };

/** The order write and the event, for one transaction. */
export function placeOrderTransaction(
  input: PlaceOrderInput,
  ordersTable: string,
  now: number,
): { writes: TransactionWrite[]; events: EventDraft<PointsDeduct>[] } {
  const { orderId, accountId, amount, ...details } = input;
  return {
    writes: [
      {
        Put: {
          TableName: ordersTable,
          Item: { ...details, [PARTITION_KEY]: orderId, accountId, amount, status: 'PLACED', placedAt: now },
          ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
        },
      },
    ],
    events: [{ type: POINTS_DEDUCT, payload: { accountId, amount, orderId }, key: accountId }],
  };
}

/** Places an order exactly once; validates the input first (throws a ZodError when it is invalid). */
export async function placeOrder(
  rawInput: unknown,
  dependencies: { publisher: TransactionalPublisher; ordersTable: string; now: () => number },
): Promise<PlaceOrderResult> {
  const input = placeOrderInputSchema.parse(rawInput);
  const { writes, events } = placeOrderTransaction(input, dependencies.ordersTable, dependencies.now());
  try {
    const { envelopes } = await dependencies.publisher.transact(writes, events);
    return { status: 'PLACED', orderId: input.orderId, eventId: envelopes[0]!.id };
  } catch (error) {
    if (error instanceof BusinessConditionFailedError)
      return { status: 'ALREADY_PLACED', orderId: input.orderId };
    throw error;
  }
}
