/**
 * Shared wire-protocol plumbing of the local cloud: the request every service receives, the
 * response it returns, and the AWS-shaped error it throws.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from './clock.js';

/** The fake account every resource of the local cloud belongs to (LocalStack uses the same). */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** The region of requests that name none (unsigned requests). */
export const DEFAULT_REGION = 'us-east-1';

/** The AWS wire protocols the services speak. */
export type WireProtocol = 'json' | 'query' | 'rest-json' | 'rpc-v2-cbor';

/** One decoded request, routed to a service by the server. */
export interface ServiceRequest {
  /** Operation name as AWS spells it, e.g. `SendMessage`. Empty for REST requests (the service routes by path). */
  readonly operation: string;
  /** The protocol the request came in. */
  readonly protocol: WireProtocol;
  /** Parsed JSON body (json), or the decoded form parameters (query), or the parsed body (rest-json). */
  readonly input: unknown;
  /** The body as received (after decompression). */
  readonly rawBody: Buffer;
  /** The HTTP method. */
  readonly method: string;
  /** Path and query string as received. */
  readonly url: string;
  /** The HTTP headers. */
  readonly headers: IncomingHttpHeaders;
  /** `Host` header the client used, e.g. `127.0.0.1:4566`; queue URLs are built from it. */
  readonly host: string;
  /** The region of the request's signature, else {@link DEFAULT_REGION}. */
  readonly region: string;
  /** Always {@link LOCAL_ACCOUNT_ID}. */
  readonly accountId: string;
  /** The id the response carries in `x-amzn-requestid`. */
  readonly requestId: string;
}

/** What a service answers; the server writes it to the wire as is. */
export interface ServiceResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The HTTP headers (`content-type`, error type headers, ...). */
  readonly headers: Record<string, string>;
  /** The body, in the service's protocol. */
  readonly body: string | Buffer;
}

/**
 * An error AWS would return. `code` is the short name (`QueueDoesNotExist`,
 * `ConditionalCheckFailedException`); services decide how it is rendered on the wire.
 */
export class AwsError extends Error {
  constructor(
    /** The error's short name. */
    readonly code: string,
    message: string,
    /** The HTTP status. */
    readonly status = 400,
    /** Extra members rendered into the JSON error body (e.g. `Item`, `CancellationReasons`). */
    readonly extra: Record<string, unknown> = {},
    /** `Sender` (client fault) or `Receiver` (service fault). */
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

/** A service of the local cloud (SQS, DynamoDB, ...), plugged into the one HTTP endpoint. */
export interface LocalService {
  /** SigV4 signing names this service answers to (`sqs`, `dynamodb`). */
  readonly signingNames: readonly string[];
  /** `X-Amz-Target` prefixes of its JSON protocol (`AmazonSQS`, `DynamoDB_20120810`). */
  readonly targetPrefixes: readonly string[];
  /** Operation names it accepts over the query protocol (when it speaks it), for routing unsigned requests. */
  readonly queryActions?: ReadonlySet<string>;
  /** Path prefixes of a REST protocol (`/2015-03-31/functions`). */
  readonly pathPrefixes?: readonly string[];
  /**
   * Paths of its resources that take query requests themselves (SQS queue URLs). A GET or HEAD on
   * one that names no `Action` is routed to this service with the empty operation, for it to answer
   * as AWS does. Unlike `pathPrefixes` this leaves the paths query paths for the HTTP guard, so form
   * POSTs to them stay accepted.
   */
  readonly queryPaths?: RegExp;
  /** Answers one request routed to this service; AWS errors are rendered, never thrown. */
  dispatch(request: ServiceRequest): Promise<ServiceResponse>;
  /**
   * Serializable state for `--data-dir`; `restore` receives it back after a restart. Without
   * `journaled`, the whole snapshot is logged whenever it changed (checked after each of the
   * service's requests, before the response, and periodically).
   */
  snapshot?(): unknown;
  /** Rebuilds the state from what `snapshot` returned before a restart. */
  restore?(state: unknown): void;
  /** Present when the service logs each change's effect as it makes it (SQS, DynamoDB); see persistence.ts. */
  readonly journaled?: JournaledState;
  /** Stop timers (sweeps, long polls). */
  close?(): void;
}

/** Where a service records its state changes for `--data-dir` (persistence.ts). */
export interface StateJournal {
  /**
   * Records the effect of one change. Call it synchronously where the change is made: the entry is
   * serialised at once, and everything one synchronous run records is made durable together.
   */
  record(entry: object): void;
}

/** One entry of a journaled service's log, as `recover` receives it. */
export type JournalEntry =
  | {
      /** What the service passed to `StateJournal.record`. */
      readonly record: unknown;
    }
  | {
      /** A value of `watchedState()`, logged because it changed. */
      readonly watched: unknown;
    };

/** The `{ record }` entries of a journaled service's log, in order. */
export function recordsOf<T>(entries: readonly JournalEntry[]): T[] {
  return entries.flatMap((entry) => ('record' in entry ? [entry.record as T] : []));
}

/** The durability hooks of a service whose changes are logged as they happen. */
export interface JournaledState {
  /** Starts (or, with undefined, stops) recording changes; attached only after `recover`. */
  attachJournal(journal: StateJournal | undefined): void;
  /**
   * Rebuilds the state at start from a snapshot (undefined: empty) and the entries logged after
   * it, in order: `{ record }` for what the service recorded, `{ watched }` for `watchedState()`.
   */
  recover(snapshot: unknown, entries: readonly JournalEntry[]): void;
  /** A part of the state not recorded change by change: logged whole whenever it changed. */
  watchedState?(): unknown;
}

/** Everything a service needs from its host. */
export interface ServiceContext {
  /** The cloud's clock; a `ManualClock` in tests. */
  readonly clock: Clock;
}

/** A 200 response with a JSON body, as the AWS JSON protocols answer. */
export function jsonResponse(body: unknown, contentType = 'application/x-amz-json-1.0'): ServiceResponse {
  return { status: 200, headers: { 'content-type': contentType }, body: JSON.stringify(body ?? {}) };
}

/**
 * Renders an error the way AWS JSON 1.0 services do: `__type` carries the shape id, which the SDK
 * maps to its exception class. SQS additionally sends `x-amzn-query-error` (awsQueryCompatible).
 */
export function jsonErrorResponse(
  error: AwsError,
  namespace: string,
  options: { queryErrorCode?: string; contentType?: string } = {},
): ServiceResponse {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/x-amz-json-1.0',
    'x-amzn-errortype': error.code,
  };
  if (options.queryErrorCode) headers['x-amzn-query-error'] = `${options.queryErrorCode};${error.fault}`;
  return {
    status: error.status,
    headers,
    body: JSON.stringify({ __type: `${namespace}#${error.code}`, message: error.message, ...error.extra }),
  };
}
