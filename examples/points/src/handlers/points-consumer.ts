/** Lambda entry point of the points service: `points.deduct` through the exactly-once consumer. */
import { type LambdaConsumerOptions, lambdaConsumer } from '@oncely/runtime/lambda';
import { POINTS_ENVIRONMENT } from '../config.js';
import { pointsDeductHandler } from '../domain/points-deduct.js';

/** The consumer's options; tests add their own `env` and `clients`. */
export const pointsConsumerOptions = {
  // Every points.deduct is stamped by the trade service's producer: anything else is poison, so the
  // loss audit covers every message this consumer applies.
  envelopesOnly: true,
  handlers: (config) => [
    pointsDeductHandler({
      accountsTable: config.requireVariable(POINTS_ENVIRONMENT.accountsTable),
      ledgerTable: config.requireVariable(POINTS_ENVIRONMENT.ledgerTable),
    }),
  ],
} satisfies LambdaConsumerOptions;

export const handler = lambdaConsumer(pointsConsumerOptions);
