/**
 * The points example's stack, built only on Oncely's public API: the points service's own tables
 * (accounts, ledger) and the trade service's orders table, an `OncelyPipeline` around the points
 * consumer, and the trade service's `place-order` function publishing through the pipeline's outbox.
 */
import {
  OncelyPipeline,
  PipelineFunction,
  type PipelineSettingsInput,
  parsePipelineSettings,
} from '@oncely/cdk';
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { POINTS_ENVIRONMENT } from '../config.js';
import { examplePath } from '../paths.js';

/** Outputs of the example's own resources (the pipeline adds its own, see OUTPUT_KEYS). */
export const POINTS_OUTPUT_KEYS = {
  accountsTable: 'AccountsTableName',
  ledgerTable: 'LedgerTableName',
  ordersTable: 'OrdersTableName',
  placeOrderFunction: 'PlaceOrderFunctionName',
} as const;

/** Properties of {@link PointsStack}. */
export interface PointsStackProps extends StackProps {
  /** Pipeline settings; validated, defaults applied. @default - every default */
  readonly settings?: PipelineSettingsInput;
}

/** A handler module of this example (its TypeScript source, which NodejsFunction bundles). */
function handlerEntry(name: string): string {
  return examplePath(`src/handlers/${name}.ts`);
}

export class PointsStack extends Stack {
  readonly pipeline: OncelyPipeline;
  readonly accounts: dynamodb.Table;
  readonly ledger: dynamodb.Table;
  readonly orders: dynamodb.Table;
  readonly placeOrder: PipelineFunction;

  constructor(scope: Construct, id: string, props: PointsStackProps = {}) {
    super(scope, id, props);
    const settings = parsePipelineSettings(props.settings);
    const removalPolicy = settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const table = (name: string) =>
      new dynamodb.Table(this, name, {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
      });
    this.accounts = table('Accounts');
    this.ledger = table('Ledger');
    this.orders = table('Orders');

    this.pipeline = new OncelyPipeline(this, 'Pipeline', {
      consumer: { entry: handlerEntry('points-consumer') },
      settings: props.settings ?? {},
      grantWrite: [this.accounts, this.ledger],
      environment: {
        [POINTS_ENVIRONMENT.accountsTable]: this.accounts.tableName,
        [POINTS_ENVIRONMENT.ledgerTable]: this.ledger.tableName,
      },
      outbox: true,
    });

    this.placeOrder = new PipelineFunction(this, 'PlaceOrder', {
      code: { entry: handlerEntry('place-order') },
      description: 'Oncely trade example: places an order and publishes points.deduct through the outbox',
      environment: { [POINTS_ENVIRONMENT.ordersTable]: this.orders.tableName },
      memorySize: settings.memorySizeMb,
      logRetentionDays: settings.logRetentionDays,
      syncOnlyReason:
        'Called synchronously by the trade service (RequestResponse), which sees and handles every error.',
    });
    this.pipeline.grantPublish(this.placeOrder.function);
    this.orders.grantReadWriteData(this.placeOrder.function);

    const outputs: Record<keyof typeof POINTS_OUTPUT_KEYS, string> = {
      accountsTable: this.accounts.tableName,
      ledgerTable: this.ledger.tableName,
      ordersTable: this.orders.tableName,
      placeOrderFunction: this.placeOrder.function.functionName,
    };
    for (const [name, key] of Object.entries(POINTS_OUTPUT_KEYS))
      new CfnOutput(this, key, { value: outputs[name as keyof typeof POINTS_OUTPUT_KEYS] });
  }
}
