/**
 * The running example: `points.deduct` takes points off an account exactly once. The effect is two
 * DynamoDB writes - a ledger entry per order and the balance step - that the consumer commits
 * together in transactional mode. The claim rides on the ledger entry (`claimOn`), and the balance
 * is a counter step, so a batch of one account's orders commits as one transaction with a single
 * balance write (see docs/consumer.md, "Batch commits").
 */

import { counterWrite, defineHandler, type EventHandler } from '@oncely/runtime';
import { z } from 'zod';

export const POINTS_DEDUCT = 'points.deduct';

export const pointsDeductSchema = z.object({
  accountId: z.string().min(1).max(256),
  amount: z.number().int().positive(),
  orderId: z.string().min(1).max(256),
});

export type PointsDeduct = z.infer<typeof pointsDeductSchema>;

export interface PointsTables {
  /** `pk` = accountId, attribute `balance` (N). */
  readonly accountsTable: string;
  /**
   * `pk` = orderId: one entry per order, so an order can never be charged twice. An applied order's
   * entry has `amount`; a rejected order's entry holds only its claim (`oncely.status` REJECTED).
   */
  readonly ledgerTable: string;
}

export interface PointsDeductOptions {
  /** A non-core step after the deduction (e.g. an e-mail receipt); skipped while degraded. */
  readonly sendReceipt?: (deduction: PointsDeduct) => Promise<void>;
}

/** Rejection reasons recorded on the claim. */
export const POINTS_REJECTIONS = {
  insufficientBalance: 'insufficient-balance',
  orderAlreadyCharged: 'order-already-charged',
} as const;

/** The `points.deduct` handler; it returns its writes and never touches DynamoDB itself. */
export function pointsDeductHandler(
  tables: PointsTables,
  options: PointsDeductOptions = {},
): EventHandler<PointsDeduct> {
  return defineHandler({
    type: POINTS_DEDUCT,
    schema: pointsDeductSchema,
    claimOn: (deduction) => ({ TableName: tables.ledgerTable, Key: { pk: deduction.orderId } }),
    async handle(deduction, context) {
      const { sendReceipt } = options;
      if (sendReceipt) await context.nonCore('send-receipt', () => sendReceipt(deduction));
      return {
        writes: [
          {
            Put: {
              TableName: tables.ledgerTable,
              Item: {
                pk: deduction.orderId,
                accountId: deduction.accountId,
                amount: deduction.amount,
                // Which message charged it (claim mode has no claim on the entry to say so).
                messageId: context.message.id,
                occurredAt: context.message.occurredAt,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
            rejectionReason: POINTS_REJECTIONS.orderAlreadyCharged,
          },
          // A missing account has no balance, so it is rejected too: balances never go negative.
          counterWrite({
            TableName: tables.accountsTable,
            Key: { pk: deduction.accountId },
            attribute: 'balance',
            add: -deduction.amount,
            atLeast: 0,
            rejectionReason: POINTS_REJECTIONS.insufficientBalance,
          }),
        ],
      };
    },
  });
}
