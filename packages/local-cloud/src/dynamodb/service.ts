/**
 * The local cloud's DynamoDB: AWS JSON 1.0 (`X-Amz-Target: DynamoDB_20120810.<Op>`) over an
 * in-memory engine written for this project (see docs/local-cloud-dynamodb.md for why not
 * dynalite). Every operation runs synchronously, so requests never interleave.
 */
import {
  AwsError,
  jsonErrorResponse,
  jsonResponse,
  type LocalService,
  recordsOf,
  type ServiceContext,
  type ServiceRequest,
  type ServiceResponse,
} from '../protocol.js';
import { type DynamoDbRecord, type DynamoDbSnapshot, EngineState } from './engine-state.js';
import { batchGetItem, batchWriteItem, deleteItem, getItem, putItem, updateItem } from './item-operations.js';
import { query, scan } from './query-operations.js';
import { asInput, type Input } from './request-input.js';
import {
  createTable,
  deleteTable,
  describeContinuousBackups,
  describeTable,
  describeTimeToLive,
  listTables,
  listTagsOfResource,
  tagResource,
  untagResource,
  updateContinuousBackups,
  updateTable,
  updateTimeToLive,
} from './table-operations.js';
import { transactGetItems, transactWriteItems } from './transaction-operations.js';

const NAMESPACE = 'com.amazonaws.dynamodb.v20120810';
/** How often expired TTL items are deleted (AWS takes up to a few days; tests call the sweep directly). */
const TTL_SWEEP_INTERVAL_MS = 5_000;

type Operation = (state: EngineState, input: Input, region: string) => unknown;

const OPERATIONS: Record<string, Operation> = {
  CreateTable: createTable,
  DescribeTable: describeTable,
  DeleteTable: deleteTable,
  ListTables: listTables,
  UpdateTable: updateTable,
  UpdateTimeToLive: updateTimeToLive,
  DescribeTimeToLive: describeTimeToLive,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsOfResource: listTagsOfResource,
  DescribeContinuousBackups: describeContinuousBackups,
  UpdateContinuousBackups: updateContinuousBackups,
  PutItem: putItem,
  GetItem: getItem,
  UpdateItem: updateItem,
  DeleteItem: deleteItem,
  Query: query,
  Scan: scan,
  BatchGetItem: batchGetItem,
  BatchWriteItem: batchWriteItem,
  TransactWriteItems: transactWriteItems,
  TransactGetItems: transactGetItems,
};

/** The DynamoDB service plus hooks tests use. */
export interface DynamoDbLocalService extends LocalService {
  /** Deletes items whose TTL has passed (by the service's clock) now; returns how many. */
  sweepExpiredItems(): number;
  snapshot(): DynamoDbSnapshot;
  restore(state: unknown): void;
}

/** Creates the DynamoDB service of the local cloud; its TTL sweep timer stops on `close()`. */
export function createDynamoDbService(context: ServiceContext): DynamoDbLocalService {
  const state = new EngineState(context.clock);
  const timer = setInterval(() => state.sweepExpiredItems(), TTL_SWEEP_INTERVAL_MS);
  timer.unref();

  return {
    signingNames: ['dynamodb'],
    targetPrefixes: ['DynamoDB_20120810'],
    async dispatch(request: ServiceRequest): Promise<ServiceResponse> {
      return execute(state, request);
    },
    sweepExpiredItems: () => state.sweepExpiredItems(),
    snapshot: () => state.snapshot(),
    restore: (saved: unknown) => state.restore(saved as DynamoDbSnapshot),
    journaled: {
      attachJournal: (journal) => state.attachJournal(journal),
      recover: (saved, entries) =>
        state.recover(saved as DynamoDbSnapshot | undefined, recordsOf<DynamoDbRecord>(entries)),
    },
    close: () => clearInterval(timer),
  };
}

function execute(state: EngineState, request: ServiceRequest): ServiceResponse {
  try {
    // Own properties only: a client-chosen name like `toString` must not reach Object.prototype.
    const operation = Object.hasOwn(OPERATIONS, request.operation)
      ? OPERATIONS[request.operation]
      : undefined;
    if (!operation) {
      throw new AwsError(
        'UnknownOperationException',
        `The operation ${request.operation} is not supported by the Oncely local cloud`,
      );
    }
    return jsonResponse(operation(state, asInput(request.input), request.region));
  } catch (error) {
    if (error instanceof AwsError) return jsonErrorResponse(error, NAMESPACE);
    // A bug in the engine, not bad input: report it as AWS reports its own faults.
    console.error(`local cloud: dynamodb.${request.operation} failed`, error);
    return jsonErrorResponse(new AwsError('InternalServerError', 'Internal server error', 500), NAMESPACE);
  }
}
