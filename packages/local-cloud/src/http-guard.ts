/**
 * Who may talk to the local cloud. It has no authentication and its Lambda API runs whatever code
 * it is given, so a web page that can make the developer's browser send it a request can run code
 * on the developer's machine. Every request passes {@link HttpGuard.intercept} before anything is
 * read, parsed or changed; it refuses:
 *
 * - a `Host` that is not a loopback name of this server or an allowed host (DNS rebinding: the page's
 *   own name, re-resolved to 127.0.0.1, makes its requests same-origin, so no CORS check applies);
 * - a browser cross-origin request: an `Origin` (or, without one, a `Referer`) that is not an origin
 *   of this server or an allowed origin, or `Sec-Fetch-Site: cross-site | same-site`; preflights of
 *   such origins get a 403 and no `Access-Control-Allow-*` header;
 * - a body of a content type the request's protocol does not use (a browser sends `text/plain`,
 *   `multipart/form-data` and form bodies cross-origin without a preflight).
 *
 * Listening on a non-loopback host needs `allowRemote`, and then prints a warning. The rules and
 * their sources are in docs/local-cloud-security.md.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { userInfo } from 'node:os';
import type { LocalService } from './protocol.js';

/** Who may reach the local cloud besides loopback clients; part of `startLocalCloud`'s options. */
export interface HttpAccessOptions {
  /**
   * Required to listen on a host that is not loopback (e.g. `0.0.0.0`): the local cloud has no
   * authentication, so anyone who can reach the port can run code on this machine. Requests may
   * then also address the server by any IP address (an IP literal cannot be DNS-rebound).
   * @default false
   */
  readonly allowRemote?: boolean;
  /**
   * Host names clients may address the server by besides the loopback ones (`127.0.0.1`, any
   * `127.x.y.z`, `localhost`, `[::1]`), e.g. a Docker service name. Trust each name: whoever
   * controls its DNS can point it at this machine.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Browser origins that may call the API, exactly as the browser sends them (e.g.
   * `http://localhost:3000`); their preflights are answered with CORS headers naming that origin.
   */
  readonly allowedOrigins?: readonly string[];
}

export interface HttpGuard {
  /**
   * Answers the request itself when it must not reach a service - a refusal, or the CORS preflight
   * of an allowed origin - and returns true; otherwise returns false and leaves it to the router.
   */
  intercept(
    req: IncomingMessage,
    res: ServerResponse,
    services: Readonly<Record<string, LocalService>>,
  ): boolean;
}

/** Whether a host (a name, an IPv4 address, or an IPv6 address with or without brackets) is loopback. */
export function isLoopbackHost(host: string): boolean {
  const name = canonicalHostName(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  return name !== undefined && isLoopbackName(name);
}

/**
 * Checks the access options (throwing for a non-loopback `host` without `allowRemote`, or a
 * malformed allowed host or origin), prints the remote-access warning, and returns the guard.
 */
export function createHttpGuard(options: HttpAccessOptions & { readonly host?: string }): HttpGuard {
  const listenHost = options.host ?? '127.0.0.1';
  const remote = !isLoopbackHost(listenHost);
  if (remote && !options.allowRemote) {
    throw new Error(
      `Refusing to listen on ${listenHost}: the local cloud has no authentication, so anyone who can reach ` +
        'a non-loopback address could run code on this machine through its Lambda API. Listen on 127.0.0.1 ' +
        '(the default), or pass allowRemote: true (oncely local --allow-remote) to accept that risk.',
    );
  }
  const hosts = new Set<string>();
  for (const entry of options.allowedHosts ?? []) {
    const parsed = parseHostHeader(entry);
    if (!parsed)
      throw new Error(`allowedHosts: '${entry}' is not a host name (e.g. my-service or my-service:4566)`);
    hosts.add(parsed.name);
  }
  // Clients address a server listening on a specific address by that address.
  const listenName = canonicalHostName(
    listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost,
  );
  if (listenName && remote) hosts.add(listenName);
  const origins = new Set<string>();
  for (const entry of options.allowedOrigins ?? []) {
    const origin = canonicalOrigin(entry);
    if (!origin) throw new Error(`allowedOrigins: '${entry}' is not an origin (e.g. http://localhost:3000)`);
    origins.add(origin);
  }
  if (remote) process.stderr.write(remoteWarning(listenHost));
  return new Guard(hosts, origins, remote);
}

class Guard implements HttpGuard {
  private readonly restPrefixesOf = new WeakMap<object, readonly string[]>();

  constructor(
    /** Allowed host names besides loopback, canonical (lower case, IPv6 in brackets). */
    private readonly hosts: ReadonlySet<string>,
    private readonly origins: ReadonlySet<string>,
    /** Listening on a non-loopback address (allowRemote): any IP literal is a name of this server. */
    private readonly remote: boolean,
  ) {}

  intercept(
    req: IncomingMessage,
    res: ServerResponse,
    services: Readonly<Record<string, LocalService>>,
  ): boolean {
    const protocol = protocolOf(req, this.restPrefixes(services));
    const refuse = (code: string, message: string, status: number) => {
      respond(res, status, renderError(protocol, req, code, message), true);
      return true;
    };

    const host = parseHostHeader(req.headers.host ?? '');
    if (!host || !this.isServerName(host.name, { anyIp: this.remote })) {
      return refuse(
        'AccessDeniedException',
        `Host '${printable(req.headers.host ?? '')}' is not a name of this local cloud (DNS rebinding protection). ` +
          'Address it as 127.0.0.1 or localhost, or allow the name: oncely local --allow-host NAME (allowedHosts).',
        403,
      );
    }

    // Browsers send Origin with every cross-origin request and every POST; older ones only Referer.
    const origin = header(req, 'origin');
    const port = req.socket.localPort;
    if (origin !== undefined) {
      if (!this.isAllowedOrigin(origin, port)) {
        return refuse(
          'AccessDeniedException',
          `Cross-origin request from '${printable(origin)}' refused: a web page may not call the local cloud. ` +
            'Allow a trusted origin with allowedOrigins.',
          403,
        );
      }
    } else {
      const referer = header(req, 'referer');
      const site = header(req, 'sec-fetch-site')?.toLowerCase();
      if (
        (referer !== undefined && !this.isAllowedOrigin(canonicalOrigin(referer) ?? 'null', port)) ||
        site === 'cross-site' ||
        site === 'same-site'
      ) {
        return refuse(
          'AccessDeniedException',
          'Request from another site refused: a web page may not call the local cloud.',
          403,
        );
      }
    }

    if (origin !== undefined) {
      // An allowed origin: its preflight is answered here, its requests carry CORS headers naming it.
      if (req.method === 'OPTIONS' && header(req, 'access-control-request-method') !== undefined) {
        respond(res, 204, { headers: preflightHeaders(req, origin), body: '' }, false);
        return true;
      }
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
      res.setHeader('vary', 'Origin');
    }

    const refusal = contentTypeRefusal(protocol, req);
    return refusal ? refuse(refusal.code, refusal.message, refusal.status) : false;
  }

  private isServerName(name: string, { anyIp }: { anyIp: boolean }): boolean {
    return isLoopbackName(name) || this.hosts.has(name) || (anyIp && isIpLiteral(name));
  }

  /**
   * An origin of this server (http, a name of it, the port the request came in on) or an allowed
   * one. No IP-literal wildcard here: a page served from any address on this port number would pass.
   */
  private isAllowedOrigin(value: string, port: number | undefined): boolean {
    const origin = canonicalOrigin(value);
    if (!origin || origin !== value.toLowerCase()) return false;
    if (this.origins.has(origin)) return true;
    const url = new URL(origin);
    const originPort = url.port === '' ? 80 : Number(url.port);
    return (
      url.protocol === 'http:' && originPort === port && this.isServerName(url.hostname, { anyIp: false })
    );
  }

  private restPrefixes(services: Readonly<Record<string, LocalService>>): readonly string[] {
    let prefixes = this.restPrefixesOf.get(services);
    if (!prefixes) {
      prefixes = Object.values(services).flatMap((service) => service.pathPrefixes ?? []);
      this.restPrefixesOf.set(services, prefixes);
    }
    return prefixes;
  }
}

/** The wire protocol a request speaks: the router's headers, then the REST paths, else query. */
type Protocol = 'json' | 'rpc-v2-cbor' | 'rest-json' | 'query';

function protocolOf(req: IncomingMessage, restPrefixes: readonly string[]): Protocol {
  if (header(req, 'x-amz-target') !== undefined) return 'json';
  if (header(req, 'smithy-protocol') === 'rpc-v2-cbor') return 'rpc-v2-cbor';
  // Before query: the router would parse a form body without an Action on a REST path as JSON.
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  return restPrefixes.some((prefix) => path.startsWith(prefix)) ? 'rest-json' : 'query';
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_PROTOCOL_TYPES = new Set([
  'application/x-amz-json-1.0',
  'application/x-amz-json-1.1',
  'application/json',
]);
/** What `@aws-sdk/client-lambda` and botocore send on the Lambda REST API (Invoke payloads: octet-stream). */
const REST_TYPES = new Set(['application/json', 'application/octet-stream', 'binary/octet-stream']);
/** Lambda Invoke: botocore (the AWS CLI) sends the payload with no Content-Type at all. */
const RAW_PAYLOAD_PATH = /^\/\d{4}-\d{2}-\d{2}\/functions\/[^/]+\/invocations\/?$/;

/**
 * Each protocol's content types, as its SDK clients send them; anything else is refused before the
 * body is read, with the error AWS (or, where AWS documents none, the Smithy protocol tests) gives.
 */
function contentTypeRefusal(
  protocol: Protocol,
  req: IncomingMessage,
): { code: string; message: string; status: number } | undefined {
  const type = mediaType(req);
  const body = hasBody(req);
  const shown = type ?? 'none';
  switch (protocol) {
    case 'json':
      if (type !== undefined && JSON_PROTOCOL_TYPES.has(type)) return undefined;
      // What the AWS JSON-protocol front end answers a body it does not recognise.
      return {
        code: 'UnknownOperationException',
        message: `Content-Type ${shown} is not an AWS JSON protocol type; send application/x-amz-json-1.0 or 1.1.`,
        status: 404,
      };
    case 'rpc-v2-cbor':
      if (type === 'application/cbor' || (type === undefined && !body)) return undefined;
      return {
        code: 'UnsupportedMediaTypeException',
        message: `Content-Type ${shown} is not the RPC v2 CBOR type; send application/cbor.`,
        status: 415,
      };
    case 'rest-json': {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (type === undefined ? !body || RAW_PAYLOAD_PATH.test(path) : REST_TYPES.has(type)) return undefined;
      return {
        code: 'UnsupportedMediaTypeException',
        message: `Content-Type ${shown} is not accepted here; send application/json (or application/octet-stream for an Invoke payload).`,
        status: 415,
      };
    }
    case 'query': {
      const method = (req.method ?? 'GET').toUpperCase();
      if (method === 'GET' || method === 'HEAD' || !body || type === FORM) return undefined;
      const inUrl = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').has('Action');
      return inUrl
        ? {
            code: 'InvalidQueryParameter',
            message: `A query-protocol body must be ${FORM}, not ${shown}.`,
            status: 400,
          }
        : {
            code: 'MissingAction',
            message: `The request has no Action: a query-protocol body is read only as ${FORM}, not ${shown}.`,
            status: 400,
          };
    }
  }
}

interface Rendered {
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
}

/** The error in the request's protocol, so an SDK client reports its code and message. */
function renderError(protocol: Protocol, req: IncomingMessage, code: string, message: string): Rendered {
  switch (protocol) {
    case 'json':
      return {
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': code },
        body: JSON.stringify({ __type: code, message }),
      };
    case 'rpc-v2-cbor':
      return {
        headers: { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
        body: cborTextMap({ __type: code, message }),
      };
    case 'rest-json':
      return {
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
        body: JSON.stringify({ Type: 'User', Message: message, message }),
      };
    case 'query': {
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      if (mediaType(req) !== FORM && !query.has('Action')) {
        // Not recognisably a query request (e.g. the health endpoint): the router's JSON error shape.
        return {
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': code },
          body: JSON.stringify({ __type: code, message }),
        };
      }
      return {
        headers: { 'content-type': 'text/xml' },
        body:
          `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code>` +
          `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      };
    }
  }
}

function respond(res: ServerResponse, status: number, rendered: Rendered, close: boolean): void {
  const requestId = randomUUID();
  res.writeHead(status, {
    'x-amzn-requestid': requestId,
    'x-amz-request-id': requestId,
    'content-length': String(Buffer.byteLength(rendered.body)),
    // A refused request's body is never read; closing spares reading (and discarding) it.
    ...(close ? { connection: 'close' } : {}),
    ...rendered.headers,
  });
  res.end(rendered.body);
}

/** Request headers the AWS SDKs send, allowed in an allowed origin's preflight. */
const SDK_REQUEST_HEADERS =
  'amz-sdk-invocation-id, amz-sdk-request, authorization, content-type, smithy-protocol, x-amz-content-sha256, ' +
  'x-amz-date, x-amz-security-token, x-amz-target, x-amz-user-agent, x-amz-invocation-type, x-amz-log-type, ' +
  'x-amz-client-context, x-amz-query-mode, x-amzn-query-mode';
const EXPOSED_HEADERS =
  'x-amzn-requestid, x-amz-request-id, x-amzn-errortype, x-amzn-query-error, x-amz-function-error, ' +
  'x-amz-executed-version, x-amz-log-result';

function preflightHeaders(req: IncomingMessage, origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, PUT, DELETE',
    'access-control-allow-headers': SDK_REQUEST_HEADERS,
    'access-control-max-age': '600',
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    // Chrome's Private Network Access asks before a public page reaches a loopback server.
    ...(header(req, 'access-control-request-private-network') === 'true'
      ? { 'access-control-allow-private-network': 'true' }
      : {}),
  };
}

/**
 * `name`, `name:port`, `[v6]` or `[v6]:port`, canonicalised as a browser canonicalises a URL's host
 * (lower case, `127.1` -> `127.0.0.1`, `[0:0::1]` -> `[::1]`); undefined for anything else.
 */
export function parseHostHeader(value: string): { name: string; port?: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return undefined;
  const name = canonicalHostName(match[1]!);
  if (name === undefined) return undefined;
  return match[2] === undefined ? { name } : { name, port: Number(match[2]) };
}

function canonicalHostName(name: string): string | undefined {
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)$/.test(name)) return undefined;
  try {
    return new URL(`http://${name}/`).hostname;
  } catch {
    return undefined;
  }
}

/** `localhost`, 127.0.0.0/8, `[::1]`, or 127.0.0.0/8 mapped into IPv6; `name` is canonical. */
function isLoopbackName(name: string): boolean {
  return (
    name === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) ||
    name === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name)
  );
}

function isIpLiteral(name: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || name.startsWith('[');
}

/** The origin of a URL or origin, `scheme://host[:port]` as a browser serialises it; undefined for `null`. */
function canonicalOrigin(value: string): string | undefined {
  if (value === '*' || value.trim() === '') return undefined;
  try {
    const url = new URL(value);
    if (url.origin === 'null') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function mediaType(req: IncomingMessage): string | undefined {
  const type = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** A header value for an error message: printable ASCII, at most 100 characters. */
function printable(value: string): string {
  const cleaned = value.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 100 ? `${cleaned.slice(0, 100)}...` : cleaned;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A CBOR map of text strings (RFC 8949 major types 5 and 3), for RPC v2 CBOR error bodies. */
function cborTextMap(entries: Record<string, string>): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
    if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
    const buffer = Buffer.alloc(5);
    buffer[0] = (major << 5) | 26;
    buffer.writeUInt32BE(length, 1);
    return buffer;
  };
  const text = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    return [head(3, bytes.length), bytes];
  };
  const pairs = Object.entries(entries);
  return Buffer.concat([
    head(5, pairs.length),
    ...pairs.flatMap(([key, value]) => [...text(key), ...text(value)]),
  ]);
}

function remoteWarning(host: string): string {
  let user = 'you';
  try {
    user = userInfo().username;
  } catch {
    // No user name (some containers): the warning stands without it.
  }
  const rule = '!'.repeat(78);
  return (
    `\n${rule}\n` +
    `WARNING: the Oncely local cloud listens on ${host}, not only on loopback (--allow-remote).\n` +
    'It has no authentication. Anyone who can reach this port can create and invoke Lambda\n' +
    `functions - that is, run any code on this machine as ${user} - and read or change every\n` +
    'queue, table, topic and alarm. Use it only on a network you trust.\n' +
    `${rule}\n\n`
  );
}
