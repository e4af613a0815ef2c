/**
 * The legacy SQS query protocol: form-encoded `Action=...` requests with flattened lists and maps
 * (`Attribute.1.Name`, `SendMessageBatchRequestEntry.1.Id`, ...), XML responses and XML errors.
 * Requests are turned into the JSON protocol's input shapes and outputs rendered back, so one
 * engine serves both protocols.
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-xml.html
 */
import { dictionary } from '../input-limits.js';
import { AwsError, type ServiceResponse } from '../protocol.js';

const XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** Flattened member name -> JSON member name; lists of Name/Value pairs become maps. */
const LIST_RENAMES: Readonly<Record<string, string>> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
};
const MAP_RENAMES: Readonly<Record<string, [string, string, string]>> = {
  Attribute: ['Attributes', 'Name', 'Value'],
  MessageAttribute: ['MessageAttributes', 'Name', 'Value'],
  MessageSystemAttribute: ['MessageSystemAttributes', 'Name', 'Value'],
};

type Tree = { [key: string]: Tree | string };

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Segments of the deepest parameter name SQS defines
 * (`SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringListValue.1`) is 7; a deeper
 * name is a syntax error, not a tree to build (thousands of segments overflowed the stack).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 */
const MAX_NAME_SEGMENTS = 8;

/** Decodes the form parameters of one request into the JSON protocol's input shape. */
export function decodeQueryInput(
  operation: string,
  params: URLSearchParams,
  url: string,
  host: string,
): Record<string, unknown> {
  const tree: Tree = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    if (path.length > MAX_NAME_SEGMENTS) {
      // SQS documents this error with HTTP 404 (CommonErrors.html).
      throw new AwsError(
        'MalformedQueryString',
        `The query string contains a syntax error: parameter ${key.slice(0, 128)}... has ${path.length} parts.`,
        404,
      );
    }
    // Flattened names become object keys; these would reach Object.prototype instead.
    if (path.some((segment) => UNSAFE_KEYS.has(segment))) continue;
    let node = tree;
    for (let index = 0; index < path.length - 1; index++) {
      const segment = path[index]!;
      const next = node[segment];
      if (typeof next === 'object') node = next;
      else {
        const created: Tree = {};
        node[segment] = created;
        node = created;
      }
    }
    node[path.at(-1)!] = value;
  }
  const input = normalise(tree, operation) as Record<string, unknown>;
  // Query clients may address the queue by posting to its URL instead of passing QueueUrl.
  const path = url.split('?')[0] ?? '/';
  if (input.QueueUrl === undefined && /^\/[^/]+\/[^/]+\/?$/.test(path)) {
    input.QueueUrl = `http://${host}${path}`;
  }
  return input;
}

/** List members by their JSON names, which botocore's query serializer sends bare (`Name=`) when empty. */
const LIST_MEMBERS = new Set(Object.values(LIST_RENAMES));

function normalise(tree: Tree, operation: string): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') {
      // An empty list (`MessageAttributeNames=`) is a list, as AWS reads it.
      out[key] = value === '' && LIST_MEMBERS.has(key) ? [] : value;
      continue;
    }
    const items = numbered(value);
    if (key.endsWith('RequestEntry')) {
      out.Entries = items.map((item) => (typeof item === 'string' ? item : normalise(item, operation)));
    } else if (LIST_RENAMES[key]) {
      out[LIST_RENAMES[key]] = items;
    } else if (MAP_RENAMES[key]) {
      const [name, keyField, valueField] = MAP_RENAMES[key];
      // Keyed by client-chosen names (a message attribute may be called `__proto__`).
      const map = dictionary<unknown>();
      for (const item of items) {
        if (typeof item !== 'object') continue;
        const entryName = item[keyField];
        const entryValue = item[valueField];
        if (typeof entryName === 'string')
          map[entryName] = typeof entryValue === 'object' ? { ...entryValue } : entryValue;
      }
      out[name] = map;
    } else if (key === 'Tag') {
      const map = dictionary<string>();
      for (const item of items) {
        if (typeof item === 'object' && typeof item.Key === 'string')
          map[item.Key] = String(item.Value ?? '');
      }
      out[operation === 'CreateQueue' ? 'tags' : 'Tags'] = map;
    } else {
      out[key] = normalise(value, operation);
    }
  }
  return out;
}

/** `{ '2': x, '1': y }` -> `[y, x]`, ordered by the 1-based index. */
function numbered(tree: Tree): Array<Tree | string> {
  return Object.keys(tree)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => tree[key]!);
}

const LIST_ELEMENTS: Readonly<Record<string, string>> = {
  QueueUrls: 'QueueUrl',
  queueUrls: 'QueueUrl',
  Messages: 'Message',
  Failed: 'BatchResultErrorEntry',
  Results: 'ListMessageMoveTasksResultEntry',
};

/** Actions whose response has no result element: they have no output in the SQS API. */
const WITHOUT_OUTPUT = new Set([
  'AddPermission',
  'ChangeMessageVisibility',
  'DeleteMessage',
  'DeleteQueue',
  'PurgeQueue',
  'RemovePermission',
  'SetQueueAttributes',
  'TagQueue',
  'UntagQueue',
]);

/**
 * Renders a JSON-shaped output as the query protocol's `<OpResponse><OpResult>` document. An
 * action with output keeps its result element even when it is empty (`<ReceiveMessageResult/>`):
 * "the main response element ... contains ActionNameResult", and botocore's query clients fail
 * without it.
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-xml-api-responses.html
 */
export function renderQueryOutput(
  operation: string,
  output: Record<string, unknown>,
  requestId: string,
): ServiceResponse {
  const result = renderMembers(operation, output);
  const resultElement = WITHOUT_OUTPUT.has(operation)
    ? ''
    : result
      ? `<${operation}Result>${result}</${operation}Result>`
      : `<${operation}Result/>`;
  const body =
    `<?xml version="1.0"?><${operation}Response xmlns="${XML_NAMESPACE}">` +
    resultElement +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}

/**
 * The JSON a query-protocol GET gets when it accepts `application/json` (AWS answers such GETs in
 * JSON, recorded in LocalStack's AWS-validated test_get_list_queues_with_query_auth):
 * `{"<Op>Response": {"<Op>Result": ..., "ResponseMetadata": {"RequestId": ...}}}`, with the lists
 * AWS was recorded naming in lower camel case (`messages`) and queue attributes as Name/Value pairs.
 */
export function renderQueryJsonOutput(
  operation: string,
  output: Record<string, unknown>,
  requestId: string,
): ServiceResponse {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(output)) {
    if (key === 'Messages' || key === 'QueueUrls') result[key[0]!.toLowerCase() + key.slice(1)] = value;
    else if (key === 'Attributes' && operation === 'GetQueueAttributes') {
      result.Attributes = Object.entries(value as Record<string, string>).map(([Name, Value]) => ({
        Name,
        Value,
      }));
    } else result[key] = value;
  }
  const response: Record<string, unknown> = {};
  if (!WITHOUT_OUTPUT.has(operation)) response[`${operation}Result`] = result;
  response.ResponseMetadata = { RequestId: requestId };
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ [`${operation}Response`]: response }),
  };
}

/** An error for a query-protocol GET that accepts `application/json`. */
export function renderQueryJsonError(error: AwsError, code: string, requestId: string): ServiceResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      Error: { Type: error.fault, Code: code, Message: error.message, Detail: null },
      RequestId: requestId,
    }),
  };
}

export function renderQueryError(error: AwsError, code: string, requestId: string): ServiceResponse {
  const body =
    `<?xml version="1.0"?><ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${error.fault}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(error.message)}</Message><Detail/></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: error.status, headers: { 'content-type': 'text/xml' }, body };
}

function renderMembers(operation: string, members: Record<string, unknown>): string {
  let xml = '';
  for (const [key, value] of Object.entries(members)) {
    if (value === undefined || value === null) continue;
    if (key === 'Attributes' || key === 'Tags') {
      const [element, keyName] = key === 'Tags' ? ['Tag', 'Key'] : ['Attribute', 'Name'];
      for (const [name, item] of Object.entries(value as Record<string, string>)) {
        xml += `<${element}><${keyName}>${escapeXml(name)}</${keyName}><Value>${escapeXml(item)}</Value></${element}>`;
      }
    } else if (key === 'MessageAttributes') {
      for (const [name, item] of Object.entries(value as Record<string, Record<string, string>>)) {
        xml += `<MessageAttribute><Name>${escapeXml(name)}</Name><Value>${renderMembers(operation, item)}</Value></MessageAttribute>`;
      }
    } else if (Array.isArray(value)) {
      const element =
        key === 'Successful' ? `${operation}ResultEntry` : (LIST_ELEMENTS[key] ?? key.replace(/s$/, ''));
      for (const item of value) {
        xml +=
          typeof item === 'object' && item !== null
            ? `<${element}>${renderMembers(operation, item as Record<string, unknown>)}</${element}>`
            : `<${element}>${escapeXml(String(item))}</${element}>`;
      }
    } else if (typeof value === 'object') {
      xml += `<${key}>${renderMembers(operation, value as Record<string, unknown>)}</${key}>`;
    } else {
      xml += `<${key}>${escapeXml(String(value))}</${key}>`;
    }
  }
  return xml;
}

/** Carriage returns are escaped too, or XML parsers would normalise them away. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (char) => `&#${char.charCodeAt(0)};`);
}
