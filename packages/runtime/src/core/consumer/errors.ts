/**
 * Thrown by a handler for a business rejection (e.g. insufficient balance): the consumer records a
 * REJECTED outcome for the message and acknowledges it; it is never retried.
 *
 * @example
 * handle(order) {
 *   if (order.quantity > 10) throw new RejectedError('quantity-over-limit');
 *   return { writes: [...] };
 * }
 */
export class RejectedError extends Error {
  constructor(
    readonly reason: string,
    message = reason,
  ) {
    super(message);
    this.name = 'RejectedError';
  }
}
