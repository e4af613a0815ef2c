/**
 * Lambda entry point of the trade service: places an order and, in the same DynamoDB transaction,
 * queues a `points.deduct` event through the outbox. Input: `{ orderId, accountId, amount, ... }`.
 */
import type { AwsClients } from '@oncely/runtime/aws';
import { createAwsProducer } from '@oncely/runtime/aws';
import { type Config, handlerClients, loadConfig, producerMetricsFrom } from '@oncely/runtime/lambda';
import { type PlaceOrderResult, placeOrder } from '../domain/place-order.js';

/** Wires placeOrder from config; tests pass their own config and clients. */
export function createPlaceOrder(
  config: Config,
  clients?: AwsClients,
): (input: unknown) => Promise<PlaceOrderResult> {
  const aws = handlerClients(config, clients);
  const producer = createAwsProducer(aws, {
    queueUrl: config.require('queueUrl'),
    leasesTable: config.require('leasesTable'),
    outboxTable: config.require('outboxTable'),
    metrics: producerMetricsFrom(config, 'trade'),
  });
  const ordersTable = config.require('ordersTable');
  return (input) => placeOrder(input, { publisher: producer.transactional!, ordersTable, now: Date.now });
}

// Built on the first invocation and kept for the instance's life: its lease and stream live as long.
let placeOrderOnce: ((input: unknown) => Promise<PlaceOrderResult>) | undefined;

export const handler = (event: unknown): Promise<PlaceOrderResult> => {
  placeOrderOnce ??= createPlaceOrder(loadConfig());
  return placeOrderOnce(event);
};
