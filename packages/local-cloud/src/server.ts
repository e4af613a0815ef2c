/**
 * The embedded local cloud: one HTTP endpoint speaking the AWS wire protocols of the services
 * Oncely uses, routed by `X-Amz-Target`, query `Action`, REST path or Smithy RPC v2 path.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from './clock.js';
import { createCloudFormationService } from './cloudformation/service.js';
import { createMonitoringServices, type MonitoringOptions } from './cloudwatch/monitoring.js';
import { createDynamoDbService } from './dynamodb/service.js';
import { createHttpGuard, type HttpAccessOptions } from './http-guard.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './input-limits.js';
import type { FunctionLogs } from './lambda/function-logs.js';
import { createLambdaService } from './lambda/service.js';
import { StatePersistence } from './persistence.js';
import {
  AwsError,
  DEFAULT_REGION,
  LOCAL_ACCOUNT_ID,
  type LocalService,
  type ServiceContext,
  type ServiceRequest,
  type ServiceResponse,
  type WireProtocol,
} from './protocol.js';
import { BodyError, readRequestBody } from './request-body.js';
import { type LocalRoute, MountedRoutes } from './routes.js';
import { createSqsService } from './sqs/service.js';

/** `allowRemote`, `allowedHosts`, `allowedOrigins`: who may reach it besides loopback clients (http-guard.ts). */
export interface LocalCloudOptions extends HttpAccessOptions {
  /** TCP port; 0 picks a free one. @default 4566 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where state survives restarts; in memory only when absent. */
  readonly dataDir?: string;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Extra services (Lambda, CloudWatch, ...) keyed by a stable name used for persistence. */
  readonly extraServices?: (context: ServiceContext) => Record<string, LocalService>;
  /** CloudWatch/EventBridge/SNS settings: time scale, tick, delivery ports. */
  readonly monitoring?: MonitoringOptions;
  /** Called for every request; used by fault injection. Returning a response short-circuits the request. */
  readonly interceptor?: RequestInterceptor;
}

/** Sees every routed request before (and its response after) the service handles it. */
export interface RequestInterceptor {
  /** Runs before the service; a response it returns is sent instead of running the request. */
  before?(
    request: ServiceRequest,
    service: string,
  ): Promise<ServiceResponse | undefined> | ServiceResponse | undefined;
  /** Runs after the service; the response it returns is the one sent. */
  after?(
    request: ServiceRequest,
    service: string,
    response: ServiceResponse,
  ): Promise<ServiceResponse> | ServiceResponse;
}

/** A running local cloud, as {@link startLocalCloud} resolves it. */
export interface LocalCloud {
  /** e.g. `http://127.0.0.1:4566` */
  readonly endpoint: string;
  /** The port it listens on (the one the system picked, with `port: 0`). */
  readonly port: number;
  /** The emulated services by key (`sqs`, `dynamodb`, `lambda`, `cloudwatch`, ...), for in-process access. */
  readonly services: Readonly<Record<string, LocalService>>;
  /** What every service shares: the clock. */
  readonly context: ServiceContext;
  /** Every Lambda function's log lines as they are written, and a bounded tail per function. */
  readonly logs: FunctionLogs;
  /**
   * Serves `route` at `prefix` (`/_oncely/<name>`) and below, on this origin, behind the same guard
   * as the AWS APIs and same-origin only (routes.ts). Returns a function that unmounts it.
   */
  mount(prefix: string, route: LocalRoute): () => Promise<void>;
  /** With a data directory: compacts its log into a fresh snapshot now (also done as it grows, on stop). */
  flush(): Promise<void>;
  /** Closes the port and every service's timers; with a data directory, writes a last snapshot. */
  stop(): Promise<void>;
}

/**
 * Starts the local cloud; resolves once it is listening.
 *
 * @example
 * const cloud = await startLocalCloud({ port: 0 }); // a free port
 * const sqs = new SQSClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * // ...
 * await cloud.stop();
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  // First: refuses a non-loopback host without allowRemote before any service starts.
  const guard = createHttpGuard(options);
  const context: ServiceContext = { clock: options.clock ?? systemClock };
  // Lambda functions and event source mappings call back into this endpoint; known once listening.
  let listeningEndpoint: string | undefined;
  const sqs = createSqsService(context);
  const lambda = createLambdaService(context, { endpoint: () => listeningEndpoint! });
  const monitoring = createMonitoringServices(context, {
    queueStats: sqs,
    ...options.monitoring,
    endpoint: () => listeningEndpoint,
  });
  // Functions' EMF log lines become CloudWatch metrics, as on AWS.
  lambda.onLogLine((functionName, line) => monitoring.cloudwatch.ingestLogLine(line, { functionName }));
  // Throttled invocations never run, so no log line tells of them: Lambda reports them directly.
  lambda.onInvocation((report) => {
    if (report.outcome === 'throttled') {
      monitoring.cloudwatch.recordLambdaInvocation({ ...report, durationMs: 0, throttled: true });
    }
  });
  const services: Record<string, LocalService> = {
    sqs,
    dynamodb: createDynamoDbService(context),
    lambda,
    ...monitoring,
    cloudformation: createCloudFormationService(context),
    ...options.extraServices?.(context),
  };
  const persistence = options.dataDir ? new StatePersistence(options.dataDir, services) : undefined;
  await persistence?.load();

  const router = new Router(services, options.interceptor, persistence);
  const routes = new MountedRoutes();
  const server = createServer((req, res) => {
    // Cross-origin, DNS-rebound and wrong-content-type requests end here, unread.
    if (guard.intercept(req, res, services)) return;
    if (routes.dispatch(req, res)) return;
    router.handle(req, res).catch((error: unknown) => {
      // Router.handle renders every failure itself; this only guards against a broken socket.
      if (!res.headersSent) res.writeHead(500).end();
      console.error('local cloud: unhandled error', error);
    });
  });
  server.keepAliveTimeout = 65_000;
  // Without this a response can wait for the client's delayed ACK (Nagle); measured: it halved the
  // SQS throughput of the default SDK client (docs/local-cloud-sqs.md).
  server.on('connection', (socket) => socket.setNoDelay(true));
  const port = await listen(server, options.port ?? 4566, options.host ?? '127.0.0.1');
  persistence?.start();

  const host = options.host ?? '127.0.0.1';
  // An IPv6 host (`::1`) needs brackets in a URL.
  listeningEndpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    endpoint: listeningEndpoint,
    port,
    services,
    context,
    logs: lambda.logs,
    mount: (prefix, route) => routes.mount(prefix, route),
    flush: async () => {
      await persistence?.flush();
    },
    stop: async () => {
      // First: mounted routes end their open streams, which would otherwise hold the server open.
      await routes.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const service of Object.values(services)) service.close?.();
      await persistence?.stop();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

class Router {
  private readonly byTarget = new Map<string, [string, LocalService]>();
  private readonly bySigningName = new Map<string, [string, LocalService]>();

  constructor(
    private readonly services: Record<string, LocalService>,
    private readonly interceptor: RequestInterceptor | undefined,
    private readonly persistence: StatePersistence | undefined,
  ) {
    for (const [key, service] of Object.entries(services)) {
      for (const prefix of service.targetPrefixes) this.byTarget.set(prefix, [key, service]);
      for (const name of service.signingNames) this.bySigningName.set(name, [key, service]);
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let response: ServiceResponse;
    // Set when the client kept sending far past the body limit: answer, then close the connection.
    let close = false;
    try {
      // Within 16 MiB after decompression; over it is a 413 on a connection that stays usable.
      const rawBody = await readRequestBody(req, header(req, 'content-encoding'));
      if (req.url === '/_oncely/health') {
        response = {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'ok', services: Object.keys(this.services) }),
        };
      } else {
        const routed = this.route(req, rawBody, requestId);
        response = await this.dispatch(routed.key, routed.service, routed.request);
        // --data-dir: no response leaves before what it acknowledges (or saw) is durable.
        await this.persistence?.settle(routed.key);
      }
    } catch (error) {
      response = renderUnroutedError(error);
      close = error instanceof BodyError && error.close;
    }
    res.writeHead(response.status, {
      'x-amzn-requestid': requestId,
      'x-amz-request-id': requestId,
      'content-length': Buffer.byteLength(response.body),
      ...response.headers,
      ...(close ? { connection: 'close' } : {}),
    });
    res.end(response.body);
  }

  private async dispatch(
    key: string,
    service: LocalService,
    request: ServiceRequest,
  ): Promise<ServiceResponse> {
    const early = await this.interceptor?.before?.(request, key);
    if (early) return early;
    let response: ServiceResponse;
    try {
      response = await service.dispatch(request);
    } catch (error) {
      // Services render their own AwsErrors; anything reaching here is a bug, reported as AWS does.
      console.error(`local cloud: ${key}.${request.operation} failed`, error);
      response = renderUnroutedError(
        new AwsError('InternalFailure', 'The request processing has failed.', 500),
      );
    }
    return this.interceptor?.after ? this.interceptor.after(request, key, response) : response;
  }

  private route(
    req: IncomingMessage,
    rawBody: Buffer,
    requestId: string,
  ): { key: string; service: LocalService; request: ServiceRequest } {
    const scope = parseCredentialScope(req.headers.authorization);
    const base = {
      rawBody,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      host: req.headers.host ?? '127.0.0.1',
      region: scope?.region ?? DEFAULT_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      requestId,
    };
    const make = (operation: string, protocol: WireProtocol, input: unknown): ServiceRequest => ({
      ...base,
      operation,
      protocol,
      input,
    });

    const target = header(req, 'x-amz-target');
    if (target) {
      const dot = target.lastIndexOf('.');
      const found = this.byTarget.get(target.slice(0, dot));
      if (!found) throw new AwsError('UnknownOperationException', `Unknown target ${target}`);
      return {
        key: found[0],
        service: found[1],
        request: make(target.slice(dot + 1), 'json', parseJson(rawBody)),
      };
    }

    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (header(req, 'smithy-protocol') === 'rpc-v2-cbor') {
      const match = /^\/service\/([^/]+)\/operation\/([^/]+)$/.exec(path);
      const found = match ? this.byTarget.get(match[1]!) : undefined;
      if (!match || !found) throw new AwsError('UnknownOperationException', `Unknown RPC v2 path ${path}`);
      return { key: found[0], service: found[1], request: make(match[2]!, 'rpc-v2-cbor', undefined) };
    }

    const contentType = header(req, 'content-type') ?? '';
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const form = contentType.startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(rawBody.toString('utf8'))
      : undefined;
    const action = form?.get('Action') ?? query.get('Action');
    if (action) {
      // Form values win over query values of the same name. Merged in a Map: URLSearchParams.set
      // scans every pair, so setting thousands of parameters one by one took seconds.
      const merged = new Map<string, string>(query);
      for (const [name, value] of form ?? []) merged.set(name, value);
      const params = new URLSearchParams([...merged]);
      const found =
        (scope && this.bySigningName.get(scope.service)) ??
        Object.entries(this.services).find(([, service]) => service.queryActions?.has(action));
      if (!found) throw new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
      return { key: found[0], service: found[1], request: make(action, 'query', params) };
    }

    // A GET or HEAD naming no action on a resource URL that takes query requests (an SQS queue URL):
    // its service answers (SQS: 404, as AWS). Matched by path, not by a REST path prefix, so the
    // guard still treats these paths as query paths and accepts form POSTs to them.
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' || method === 'HEAD') {
      const owner = Object.entries(this.services).find(([, service]) => service.queryPaths?.test(path));
      if (owner) return { key: owner[0], service: owner[1], request: make('', 'query', query) };
    }

    for (const [key, service] of Object.entries(this.services)) {
      if (service.pathPrefixes?.some((prefix) => path.startsWith(prefix))) {
        return {
          key,
          service,
          request: make('', 'rest-json', rawBody.length ? parseJson(rawBody) : undefined),
        };
      }
    }
    throw new AwsError('UnknownOperationException', `No service handles ${req.method} ${path}`);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  // Checked on the text: a document this deep would overflow the stack of whatever walks it.
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new AwsError(
      'SerializationException',
      `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  }
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/sqs/aws4_request, ...` */
export function parseCredentialScope(authorization: string | undefined):
  | {
      /** The region the request was signed for. */
      region: string;
      /** The signing name of the service (`sqs`, `dynamodb`, ...). */
      service: string;
    }
  | undefined {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match ? { region: match[1]!, service: match[2]! } : undefined;
}

function renderUnroutedError(error: unknown): ServiceResponse {
  const aws =
    error instanceof AwsError
      ? error
      : new AwsError('InternalFailure', 'The request processing has failed.', 500);
  return {
    status: aws.status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': aws.code },
    body: JSON.stringify({ __type: aws.code, message: aws.message }),
  };
}
