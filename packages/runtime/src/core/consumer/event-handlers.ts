import type { z } from 'zod';
import type { AttributeValues, TransactionWrite } from '../transaction-write.js';
import type { MessageInfo } from './delivery.js';

/** `transactional`: the claim commits with the handler's DynamoDB writes. `claim`: claim, run, complete. */
export type ConsumerMode = 'transactional' | 'claim';

/** What a handler sees besides its payload. */
export interface HandlerContext {
  /**
   * The message: its claim key (`id`), type and format, and for Oncely envelopes the stamps
   * (`message.envelope`: producer, seq, key, occurredAt).
   */
  readonly message: MessageInfo;
  readonly mode: ConsumerMode;
  /** Milliseconds left in this invocation (a large number outside Lambda). */
  remainingTimeMs(): number;
  /**
   * Runs a step that may be skipped under load (e.g. sending a receipt). While the degradation level
   * is `critical` the step is skipped and counted. A failing non-core step is logged, never retried
   * and never fails the message. In transactional mode the step runs after the commit succeeded, so
   * a duplicate or rejected delivery never runs it.
   */
  nonCore(step: string, run: () => Promise<unknown> | unknown): Promise<void>;
}

/** A handler's result: the DynamoDB writes of its effect (committed with the claim in transactional mode). */
export interface HandlerEffect {
  readonly writes?: readonly TransactionWrite[];
}

/**
 * The business item that carries a message's claim (its table and full primary key), e.g. the
 * ledger entry of an order. See {@link EventHandler.claimOn}.
 */
export interface ClaimTarget {
  /** The business table, e.g. the ledger. */
  readonly TableName: string;
  /** The item's full primary key, e.g. `{ pk: orderId }`: unique per message, the same for every delivery of it. */
  readonly Key: AttributeValues;
}

/** The handler of one event type. Throw `RejectedError` for a business rejection; anything else is retried. */
export interface EventHandler<TPayload = unknown> {
  readonly type: string;
  readonly schema: z.ZodType<TPayload>;
  /**
   * Transactional mode: name the business item that carries the message's claim, instead of a
   * separate item in the claims table. The claim (the `oncely` map attribute: message id, status,
   * payload hash, producer stream and seq) rides on your `Put` of that item, guarded by
   * `attribute_not_exists` on its key, or on an item of its own at that key when your writes do not
   * put it. A rejected message leaves an item at that key holding only the claim, so a message is
   * applied or rejected, never both. The key must be unique per message (e.g. the order id), and
   * the same for every delivery of it. Saves the claim's write units and lets the consumer commit a
   * batch's messages together; the loss audit then reads a compact consumption log.
   * Ignored in claim mode.
   * @example
   * claimOn: (order) => ({ TableName: ledgerTable, Key: { pk: order.orderId } }),
   */
  claimOn?(payload: TPayload): ClaimTarget;
  handle(
    payload: TPayload,
    context: HandlerContext,
  ): Promise<HandlerEffect | undefined> | HandlerEffect | undefined;
}

/**
 * Declares the handler of one event type; the payload type follows from the schema.
 *
 * @example
 * const deduct = defineHandler({
 *   type: 'points.deduct',
 *   schema: z.object({ accountId: z.string(), amount: z.number().int().positive() }),
 *   handle: (payload) => ({ writes: [...] }),
 * });
 */
export function defineHandler<TSchema extends z.ZodType>(handler: {
  readonly type: string;
  readonly schema: TSchema;
  claimOn?(payload: z.output<TSchema>): ClaimTarget;
  handle(
    payload: z.output<TSchema>,
    context: HandlerContext,
  ): Promise<HandlerEffect | undefined> | HandlerEffect | undefined;
}): EventHandler<z.output<TSchema>> {
  return handler as EventHandler<z.output<TSchema>>;
}
