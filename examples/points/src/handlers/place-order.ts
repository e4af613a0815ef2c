/**
 * Lambda entry point of the trade service: places an order and, in the same DynamoDB transaction,
 * queues a `points.deduct` event through the outbox. Input: `{ orderId, accountId, amount, ... }`.
 */
import { createProducer, EmfTelemetry, type ProducerClients } from '@oncely/runtime/aws';
import { METRICS_NAMESPACE } from '@oncely/runtime/contract';
import { type Config, loadConfig } from '@oncely/runtime/lambda';
import { POINTS_ENVIRONMENT } from '../config.js';
import { type PlaceOrderResult, placeOrder } from '../domain/place-order.js';

/** Wires placeOrder from config; tests pass their own config and clients. */
export function createPlaceOrder(
  config: Config,
  clients?: ProducerClients,
): (input: unknown) => Promise<PlaceOrderResult> {
  const ordersTable = config.requireVariable(POINTS_ENVIRONMENT.ordersTable);
  const producer = createProducer({
    queueUrl: config.require('queueUrl'),
    leasesTable: config.require('leasesTable'),
    outboxTable: config.require('outboxTable'),
    telemetry: new EmfTelemetry({
      namespace: config.optional('metricsNamespace') ?? METRICS_NAMESPACE,
      service: config.optional('serviceName') ?? 'trade',
    }),
    ...(clients
      ? { clients }
      : { clientConfig: { region: config.optional('region'), endpoint: config.optional('endpoint') } }),
  });
  return (input) => placeOrder(input, { publisher: producer, ordersTable, now: Date.now });
}

// Built on the first invocation and kept for the instance's life: its lease and stream live as long.
let placeOrderOnce: ((input: unknown) => Promise<PlaceOrderResult>) | undefined;

export const handler = (event: unknown): Promise<PlaceOrderResult> => {
  placeOrderOnce ??= createPlaceOrder(loadConfig());
  return placeOrderOnce(event);
};
