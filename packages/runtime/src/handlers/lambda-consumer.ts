/**
 * `lambdaConsumer`: the consumer as a ready Lambda SQS handler, wired from the environment
 * variables the `@oncely/cdk` constructs set, so a team's consumer module is its handlers plus one
 * line. The wiring happens on the first invocation and is kept for the instance's life.
 */
import { type AwsClients, type ClientOptions, createAwsClients } from '../adapters/aws-clients.js';
import { DynamoDbDegradationReader } from '../adapters/degradation-reader.js';
import { DynamoDbClaimStore } from '../adapters/dynamodb-claim-store.js';
import { SqsMessageActions } from '../adapters/sqs-message-actions.js';
import { type Config, ENVIRONMENT_VARIABLES, loadConfig } from '../config.js';
import {
  type ConsumerOptions,
  createConsumer,
  type SqsConsumerHandler,
} from '../core/consumer/create-consumer.js';
import type { ConsumerMode, EventHandler } from '../core/consumer/event-handlers.js';
import { handlerTelemetry } from './handler-telemetry.js';
import { lazyHandler } from './lazy-handler.js';

/** The clients a consumer uses; any {@link AwsClients} satisfies it. */
export type ConsumerClients = Pick<AwsClients, 'sqs' | 'documents'>;

/** Options of {@link lambdaConsumer}: the handlers, plus anything of createConsumer's tuning. */
export type LambdaConsumerOptions = ClientOptions<ConsumerClients> &
  Omit<ConsumerOptions, 'handlers' | 'mode' | 'claims' | 'messages' | 'degradation'> & {
    /**
     * One handler per event type; or a function that builds them from the configuration on the
     * first invocation, e.g. to read your own tables' names from the environment.
     * @example
     * handlers: (config) => [reserveHandler({ stockTable: config.requireVariable('STOCK_TABLE') })]
     */
    readonly handlers: readonly EventHandler[] | ((config: Config) => readonly EventHandler[]);
    /** @default ONCELY_CONSUMER_MODE, else 'transactional' */
    readonly mode?: ConsumerMode;
    /** The environment to read instead of `process.env` (tests). @default process.env */
    readonly env?: Readonly<Record<string, string | undefined>>;
  };

const MODES: readonly ConsumerMode[] = ['transactional', 'claim'];

/**
 * A Lambda handler for an SQS event source mapping (with `ReportBatchItemFailures` on) that
 * applies each message's effect exactly once. On its first invocation it reads:
 * - `ONCELY_CLAIMS_TABLE`, `ONCELY_DLQ_URL` (required: a missing one fails that invocation with an
 *   error naming it, and the next invocation tries again);
 * - `ONCELY_QUEUE_URL` (saves a GetQueueUrl call per queue), `ONCELY_CONTROL_TABLE` (the
 *   degradation level; without it every step runs), `ONCELY_CONSUMER_MODE` (`transactional` or
 *   `claim`), `ONCELY_METRICS_NAMESPACE` (default `Oncely`), `ONCELY_SERVICE_NAME` (the metrics'
 *   `service` dimension, default `oncely`);
 * - `AWS_REGION`, `AWS_ENDPOINT_URL`, as the AWS SDK does.
 * Importing the module and calling `lambdaConsumer` read nothing and build no clients.
 *
 * @example
 * import { defineHandler } from '@oncely/runtime';
 * import { lambdaConsumer } from '@oncely/runtime/lambda';
 * import { z } from 'zod';
 *
 * const reserve = defineHandler({
 *   type: 'inventory.reserve',
 *   schema: z.object({ sku: z.string(), quantity: z.number().int().positive(), orderId: z.string() }),
 *   handle: (p) => ({
 *     writes: [{
 *       Update: {
 *         TableName: process.env.STOCK_TABLE!,
 *         Key: { pk: p.sku },
 *         UpdateExpression: 'SET available = available - :q',
 *         ConditionExpression: 'available >= :q',
 *         ExpressionAttributeValues: { ':q': p.quantity },
 *       },
 *       rejectionReason: 'out-of-stock',
 *     }],
 *   }),
 * });
 * export const handler = lambdaConsumer({ handlers: [reserve] });
 */
export function lambdaConsumer(options: LambdaConsumerOptions): SqsConsumerHandler {
  return lazyHandler(() => wireConsumer(options));
}

function wireConsumer(options: LambdaConsumerOptions): SqsConsumerHandler {
  const {
    handlers,
    mode,
    env,
    clients: givenClients,
    clientConfig,
    telemetry: givenTelemetry,
    ...tuning
  } = options;
  const config = loadConfig(env);
  // Settings first, so a misconfigured function fails before it builds anything.
  const claimsTable = config.require('claimsTable');
  const deadLetterQueueUrl = config.require('deadLetterQueueUrl');
  const controlTable = config.optional('controlTable');
  const clients =
    givenClients ??
    createAwsClients({
      region: config.optional('region'),
      endpoint: config.optional('endpoint'),
      ...clientConfig,
    });
  return createConsumer({
    ...tuning,
    mode: mode ?? consumerMode(config),
    handlers: typeof handlers === 'function' ? handlers(config) : handlers,
    claims: new DynamoDbClaimStore(clients.documents, claimsTable),
    messages: new SqsMessageActions(clients.sqs, {
      deadLetterQueueUrl,
      sourceQueueUrl: config.optional('queueUrl'),
    }),
    ...(controlTable ? { degradation: new DynamoDbDegradationReader(clients.documents, controlTable) } : {}),
    telemetry: givenTelemetry ?? handlerTelemetry(config),
  });
}

function consumerMode(config: Config): ConsumerMode {
  const mode = config.optional('consumerMode') ?? 'transactional';
  if (!(MODES as readonly string[]).includes(mode))
    throw new Error(
      `Invalid configuration: environment variable ${ENVIRONMENT_VARIABLES.consumerMode} is '${mode}' (${MODES.join(' | ')})`,
    );
  return mode as ConsumerMode;
}
