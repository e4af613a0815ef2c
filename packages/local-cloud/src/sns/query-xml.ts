/**
 * The AWS query protocol as SNS speaks it: form-encoded requests (`Attributes.entry.1.key=...`)
 * and XML responses wrapped in `<OpResponse><OpResult>`.
 */
import { dictionary } from '../input-limits.js';
import { AwsError, type ServiceResponse } from '../protocol.js';

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `<Name>text</Name>`, or nothing when the value is undefined. */
export function element(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A query-protocol map: `<Attributes><entry><key>k</key><value>v</value></entry>...`. */
export function mapElement(name: string, map: Readonly<Record<string, string>>): string {
  const entries = Object.entries(map)
    .map(([key, value]) => `<entry>${element('key', key)}${element('value', value)}</entry>`)
    .join('');
  return `<${name}>${entries}</${name}>`;
}

/** A query-protocol result document; `namespace` is the service's (SNS unless given). */
export function xmlResponse(
  operation: string,
  requestId: string,
  resultXml: string,
  namespace = SNS_XML_NAMESPACE,
): ServiceResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body:
      `<?xml version="1.0"?><${operation}Response xmlns="${namespace}">` +
      `<${operation}Result>${resultXml}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

/** A query-protocol error document; `namespace` is the service's (SNS unless given). */
export function xmlErrorResponse(
  error: AwsError,
  requestId: string,
  namespace = SNS_XML_NAMESPACE,
): ServiceResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml' },
    body:
      `<?xml version="1.0"?><ErrorResponse xmlns="${namespace}"><Error>` +
      `<Type>${error.fault}</Type>${element('Code', error.code)}${element('Message', error.message)}` +
      `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/**
 * Reads `Prefix.entry.N.key` / `Prefix.entry.N.value` pairs (keyName/valueName vary per shape)
 * into a prototype-free map: a key named `__proto__` is kept as a key.
 */
export function readQueryMap(
  params: URLSearchParams,
  prefix: string,
  keyName = 'key',
  valueName = 'value',
): Record<string, string> {
  const map = dictionary<string>();
  for (let index = 1; ; index++) {
    const key = params.get(`${prefix}.entry.${index}.${keyName}`);
    if (key === null) break;
    map[key] = params.get(`${prefix}.entry.${index}.${valueName}`) ?? '';
  }
  return map;
}

export function requireParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    throw new AwsError('InvalidParameter', `Invalid parameter: ${name} is required`);
  }
  return value;
}
