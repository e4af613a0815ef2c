/**
 * The local cloud's SQS: routes decoded requests of either wire protocol (AWS JSON 1.0 with
 * `X-Amz-Target: AmazonSQS.<Op>`, or the legacy query protocol) to the in-memory engine and renders
 * its answers and errors the way SQS does.
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
import {
  type Output,
  type QueueStatistics,
  type RequestScope,
  SqsEngine,
  type SqsSnapshot,
} from './engine.js';
import { jsonErrorType, queryErrorCode } from './errors.js';
import { replaySqs, type SqsRecord } from './journal.js';
import {
  decodeQueryInput,
  renderQueryError,
  renderQueryJsonError,
  renderQueryJsonOutput,
  renderQueryOutput,
} from './query-protocol.js';
import { asInput, type Input } from './validation.js';

type Operation = (engine: SqsEngine, input: Input, scope: RequestScope) => Output | Promise<Output>;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateQueue: (engine, input, scope) => engine.createQueue(input, scope),
  GetQueueUrl: (engine, input, scope) => engine.getQueueUrl(input, scope),
  ListQueues: (engine, input, scope) => engine.listQueues(input, scope),
  DeleteQueue: (engine, input) => engine.deleteQueue(input),
  GetQueueAttributes: (engine, input) => engine.getQueueAttributes(input),
  SetQueueAttributes: (engine, input, scope) => engine.setQueueAttributes(input, scope),
  PurgeQueue: (engine, input) => engine.purgeQueue(input),
  SendMessage: (engine, input, scope) => engine.sendMessage(input, scope),
  SendMessageBatch: (engine, input, scope) => engine.sendMessageBatch(input, scope),
  ReceiveMessage: (engine, input) => engine.receiveMessage(input),
  DeleteMessage: (engine, input) => engine.deleteMessage(input),
  DeleteMessageBatch: (engine, input) => engine.deleteMessageBatch(input),
  ChangeMessageVisibility: (engine, input) => engine.changeMessageVisibility(input),
  ChangeMessageVisibilityBatch: (engine, input) => engine.changeMessageVisibilityBatch(input),
  ListDeadLetterSourceQueues: (engine, input, scope) => engine.listDeadLetterSourceQueues(input, scope),
  StartMessageMoveTask: (engine, input) => engine.startMessageMoveTask(input),
  ListMessageMoveTasks: (engine, input) => engine.listMessageMoveTasks(input),
  CancelMessageMoveTask: (engine, input) => engine.cancelMessageMoveTask(input),
  TagQueue: (engine, input) => engine.tagQueue(input),
  UntagQueue: (engine, input) => engine.untagQueue(input),
  ListQueueTags: (engine, input) => engine.listQueueTags(input),
};

/** Creates the SQS service; its state lives in memory and survives restarts through snapshots. */
export function createSqsService(
  context: ServiceContext,
): LocalService & { queueStats(): QueueStatistics[] } {
  const engine = new SqsEngine(context.clock);
  return {
    signingNames: ['sqs'],
    targetPrefixes: ['AmazonSQS'],
    queryActions: new Set(Object.keys(OPERATIONS)),
    queryPaths: QUEUE_URL_PATH,
    dispatch: (request) => dispatch(engine, request),
    queueStats: () => engine.queueStats(),
    snapshot: () => engine.snapshot(),
    restore: (state) => engine.restore(state as SqsSnapshot),
    journaled: {
      attachJournal: (journal) => engine.attachJournal(journal),
      recover: (snapshot, entries) =>
        engine.restore(replaySqs(snapshot as SqsSnapshot | undefined, recordsOf<SqsRecord>(entries))),
    },
    close: () => engine.close(),
  };
}

/** A queue URL's path, `/<account>/<queue>`; the account keeps other services' paths out. */
const QUEUE_URL_PATH = /^\/\d{12}\/[^/]+\/?$/;

/**
 * A GET or HEAD on a queue URL naming no action (the router sends it here as the empty operation):
 * AWS answers 404 with a bare `<UnknownOperationException/>`, in XML even to a client that accepts
 * JSON (recorded on AWS: test_get_without_query_returns_unknown_operation,
 * test_get_without_query_json_format_returns_returns_xml).
 */
function unknownOperationOnQueueUrl(): ServiceResponse {
  return { status: 404, headers: { 'content-type': 'text/xml' }, body: '<UnknownOperationException/>' };
}

/** Actions of the service endpoint that a queue URL refuses (the recorded ones). */
const SERVICE_ONLY_ACTIONS = new Set(['CreateQueue', 'ListQueues']);

async function dispatch(engine: SqsEngine, request: ServiceRequest): Promise<ServiceResponse> {
  const query = request.protocol === 'query';
  if (query && request.operation === '') return unknownOperationOnQueueUrl();
  // A query GET that accepts JSON is answered in JSON, as AWS does (query-protocol.ts).
  const queryJson =
    query && request.method === 'GET' && /application\/json/i.test(String(request.headers.accept ?? ''));
  try {
    // Own properties only: a client-chosen name like `toString` must not reach Object.prototype.
    const operation = Object.hasOwn(OPERATIONS, request.operation)
      ? OPERATIONS[request.operation]
      : undefined;
    // On a queue URL the service-level actions are not valid either (recorded on AWS:
    // test_get_create_queue_fails, test_get_list_queues_fails).
    const onQueueUrl = /^\/[^/]+\/[^/]+\/?$/.test(request.url.split('?')[0] ?? '/');
    if (!operation || (query && onQueueUrl && SERVICE_ONLY_ACTIONS.has(request.operation))) {
      throw query
        ? new AwsError('InvalidAction', `The action ${request.operation} is not valid for this endpoint.`)
        : new AwsError('UnknownOperationException', `Unknown operation ${request.operation}.`);
    }
    const input = query
      ? decodeQueryInput(request.operation, request.input as URLSearchParams, request.url, request.host)
      : asInput(request.input);
    const trace = request.headers['x-amzn-trace-id'];
    const scope: RequestScope = {
      host: request.host,
      region: request.region,
      accountId: request.accountId,
      ...(typeof trace === 'string' && trace !== '' ? { traceHeader: trace } : {}),
    };
    const output = await operation(engine, input, scope);
    if (queryJson) return renderQueryJsonOutput(request.operation, output, request.requestId);
    return query ? renderQueryOutput(request.operation, output, request.requestId) : jsonResponse(output);
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    const code = queryErrorCode(error.code);
    if (query) {
      const queryError = asQueryError(error);
      return queryJson
        ? renderQueryJsonError(queryError, code, request.requestId)
        : renderQueryError(queryError, code, request.requestId);
    }
    // The JSON protocol names two common errors differently (errors.ts); the SDK reads the code
    // from x-amzn-query-error, which keeps the query code.
    const typed = new AwsError(
      jsonErrorType(error.code),
      error.message,
      error.status,
      error.extra,
      error.fault,
    );
    return jsonErrorResponse(typed, 'com.amazonaws.sqs', { queryErrorCode: code });
  }
}

/**
 * The query protocol words an unknown queue as "... does not exist for this wsdl version." (recorded
 * on AWS: test_non_existent_queue, test_get_on_deleted_queue_fails).
 */
function asQueryError(error: AwsError): AwsError {
  if (error.code !== 'QueueDoesNotExist') return error;
  return new AwsError(
    error.code,
    'The specified queue does not exist for this wsdl version.',
    error.status,
    error.extra,
    error.fault,
  );
}
