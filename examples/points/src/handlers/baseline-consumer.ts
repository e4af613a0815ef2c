/**
 * The points consumer built the usual way, the one baseline of both benchmarks (end to end and
 * consumer): Powertools batch utilities (`processPartialResponse` with `SqsFifoPartialProcessorAsync`,
 * the processor the Powertools batch docs give for FIFO queues) around a record handler made
 * idempotent by Powertools `makeIdempotent` with its DynamoDB persistence layer (the function
 * wrapper of the idempotency docs, `registerLambdaContext` called in the handler as they show), and
 * the business writes as separate requests (UpdateItem on the balance, then PutItem on the ledger).
 * The idempotency key is the envelope id (`eventKeyJmesPath: 'id'` on the parsed body), not the SQS
 * messageId, so a producer's resend of an order is suppressed too, as Oncely's claims do.
 * Not part of the library; `oncely bench` deploys it in place of the Oncely consumer, and the
 * consumer benchmark invokes {@link createBaselineConsumer} in process.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ConditionalCheckFailedException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Envelope } from '@oncely/runtime';
import { type AwsClients, createAwsClients } from '@oncely/runtime/aws';
import { type Config, loadConfig } from '@oncely/runtime/lambda';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { POINTS_ENVIRONMENT } from '../config.js';
import type { PointsDeduct } from '../domain/points-deduct.js';

/** The Powertools idempotency table, which only the benchmarks create. */
export const IDEMPOTENCY_TABLE_VARIABLE = 'ONCELY_IDEMPOTENCY_TABLE';

/**
 * The idempotency table as the Powertools docs create it: on-demand, partition key `id` (the
 * persistence layer's default key attribute). Both benchmarks create it from this.
 */
export function idempotencyTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  };
}

export type BaselineHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Wires the baseline from config; the benchmark passes its own config when it runs in-process. */
export function createBaselineConsumer(config: Config, clients?: AwsClients): BaselineHandler {
  const aws =
    clients ?? createAwsClients({ region: config.optional('region'), endpoint: config.optional('endpoint') });
  const accountsTable = config.requireVariable(POINTS_ENVIRONMENT.accountsTable);
  const ledgerTable = config.requireVariable(POINTS_ENVIRONMENT.ledgerTable);
  const idempotency = new IdempotencyConfig({ eventKeyJmesPath: 'id' });
  const deduct = makeIdempotent(
    async (envelope: Envelope<PointsDeduct>) => {
      const { accountId, amount, orderId } = envelope.payload;
      try {
        await aws.documents.send(
          new UpdateCommand({
            TableName: accountsTable,
            Key: { pk: accountId },
            UpdateExpression: 'SET balance = balance - :amount',
            ConditionExpression: 'balance >= :amount',
            ExpressionAttributeValues: { ':amount': amount },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { rejected: 'insufficient-balance' };
        throw error;
      }
      await aws.documents.send(
        new PutCommand({
          TableName: ledgerTable,
          Item: {
            pk: orderId,
            accountId,
            amount,
            messageId: envelope.id,
            occurredAt: envelope.occurredAt,
            appliedAt: Date.now(),
          },
        }),
      );
      return { deducted: amount };
    },
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: config.requireVariable(IDEMPOTENCY_TABLE_VARIABLE),
        awsSdkV3Client: aws.dynamodb,
      }),
      config: idempotency,
    },
  );
  const processor = new SqsFifoPartialProcessorAsync();
  const recordHandler = async (record: SQSRecord) =>
    deduct(JSON.parse(record.body) as Envelope<PointsDeduct>);
  return async (event, context) => {
    idempotency.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}

let consumer: BaselineHandler | undefined;

export const handler: BaselineHandler = (event, context) => {
  consumer ??= createBaselineConsumer(loadConfig());
  return consumer(event, context);
};
