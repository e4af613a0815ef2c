/**
 * Test fixture: raw SQS requests (query protocol forms, JSON bodies, GETs on queue URLs) signed like
 * the SDK signs them, so the same test runs against the local cloud and against a real endpoint
 * (`CONFORMANCE_ENDPOINT`); plus `elapse`, which moves the local cloud's manual clock or, against a
 * real endpoint, waits the time out.
 */
import type { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { TestCloud } from './local-cloud.js';

export interface WireResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface WireRequest {
  readonly method?: 'GET' | 'POST';
  /** Absolute (a queue URL) or relative to the endpoint; its query string is signed too. */
  readonly url?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Sends one request signed with SigV4 for `sqs`, with the credentials of the test cloud's SQS client. */
export async function signedFetch(cloud: TestCloud, request: WireRequest = {}): Promise<WireResponse> {
  const method = request.method ?? 'POST';
  const target = new URL(request.url ?? '/', cloud.endpoint);
  const query: Record<string, string> = {};
  for (const [name, value] of target.searchParams) query[name] = value;
  const signer = await cloud.clients.sqs.config.signer();
  const signed = await signer.sign({
    method,
    protocol: target.protocol,
    hostname: target.hostname,
    ...(target.port ? { port: Number(target.port) } : {}),
    path: target.pathname,
    query,
    headers: { host: target.host, ...request.headers },
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const headers = { ...signed.headers };
  delete headers.host;
  const response = await fetch(target, {
    method,
    headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A query-protocol request (`Action=...` form POST, or a GET with the parameters in the URL). */
export function queryRequest(
  cloud: TestCloud,
  params: Record<string, string>,
  options: { url?: string; method?: 'GET' | 'POST'; headers?: Record<string, string> } = {},
): Promise<WireResponse> {
  const form = new URLSearchParams({ Version: '2012-11-05', ...params });
  if (options.method === 'GET') {
    const url = new URL(options.url ?? '/', cloud.endpoint);
    for (const [name, value] of form) url.searchParams.set(name, value);
    return signedFetch(cloud, { method: 'GET', url: url.toString(), headers: options.headers ?? {} });
  }
  return signedFetch(cloud, {
    url: options.url ?? '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...options.headers },
    body: form.toString(),
  });
}

/** An AWS JSON 1.0 request, as the SDK sends it but without the SDK's own checks. */
export function jsonRequest(cloud: TestCloud, operation: string, body: unknown): Promise<WireResponse> {
  return signedFetch(cloud, {
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${operation}`,
      'x-amzn-query-mode': 'true',
    },
    body: JSON.stringify(body),
  });
}

/**
 * Lets `ms` of queue time pass: the local cloud's manual clock moves at once; against a real
 * endpoint (no local cloud) the test waits that long plus half a second, since a real queue's
 * timers are not exact to the millisecond.
 */
export async function elapse(cloud: TestCloud, clock: ManualClock, ms: number): Promise<void> {
  if (cloud.local) clock.advance(ms);
  else await new Promise((resolve) => setTimeout(resolve, ms + 500));
}
