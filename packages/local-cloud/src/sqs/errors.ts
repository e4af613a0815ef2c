/**
 * SQS error codes: the short shape names the JSON protocol sends in `__type`, and the legacy
 * codes the query protocol (and the JSON `x-amzn-query-error` header) carry.
 */
import { AwsError } from '../protocol.js';

/** Short code -> legacy query code, for the codes whose two spellings differ. */
const QUERY_CODES: Readonly<Record<string, string>> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
  PurgeQueueInProgress: 'AWS.SimpleQueueService.PurgeQueueInProgress',
  QueueDeletedRecently: 'AWS.SimpleQueueService.QueueDeletedRecently',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
  QueueNameExists: 'QueueAlreadyExists',
};

/** The code the query protocol uses for an error whose JSON shape name is `code`. */
export function queryErrorCode(code: string): string {
  return QUERY_CODES[code] ?? code;
}

/**
 * Short code -> the `__type` AWS sends over the JSON protocol, for the two common errors that are
 * not shapes of the SQS model (recorded on AWS: botocore reports them as the QueryErrorCode of
 * InvalidParameterValue and MissingParameter errors in LocalStack's AWS-validated snapshots).
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
 */
const JSON_TYPES: Readonly<Record<string, string>> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  MissingParameter: 'MissingRequiredParameterException',
};

/** The JSON protocol's `__type` name for an error whose short code is `code`. */
export function jsonErrorType(code: string): string {
  return JSON_TYPES[code] ?? code;
}

export function queueDoesNotExist(): AwsError {
  return new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
}

export function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

export function missingParameter(name: string): AwsError {
  return new AwsError('MissingParameter', `The request must contain the parameter ${name}.`);
}

export function receiptHandleInvalid(handle: string): AwsError {
  return new AwsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );
}
