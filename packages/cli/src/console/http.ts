/**
 * The console's HTTP side, mounted on the local cloud's own origin (`cloud.mount`), so every
 * request has already passed the local cloud's guard (loopback Host, no foreign Origin, Referer or
 * Sec-Fetch-Site) and the mount's same-origin check, and no answer carries a CORS header.
 *
 * - Reads are GET: the page, its assets, JSON views and one server-sent event stream.
 * - Actions (redrive) are POST, and need the per-process token of this console in the
 *   `x-oncely-console-token` header. The page gets the token inside its own HTML, which only a
 *   same-origin page can read; a custom header also makes any cross-origin attempt a CORS
 *   preflight, which the guard refuses.
 * - Everything a stack holds is data: message bodies and log lines go out as JSON strings and the
 *   page renders them as text (never as HTML), under a Content-Security-Policy that runs no inline
 *   script.
 */
import { timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionLogEvent, LocalCloud } from '@oncely/local-cloud';
import type { AwsClients } from '@oncely/runtime/aws';
import { readStatus } from '../commands/status.js';
import { RedriveConflictError, type RedriveJobs } from './redrive.js';
import type { Sampler, StackSample } from './sampler.js';
import { resourcesOfType, type StackDirectory, type StackEntry } from './stacks.js';
import {
  deadLetterQueuesOf,
  listDeadLetterQueue,
  readAlarms,
  readAudit,
  readDashboards,
  readDeadLetterBody,
  readFunctions,
  type TimeWindow,
} from './views.js';

export const TOKEN_HEADER = 'x-oncely-console-token';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** No inline script or style, nothing from elsewhere, no framing, no form posts. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
} as const;

/** Most bytes of a POST body (a list of message ids). */
const MAX_BODY = 64 * 1024;
/** Most log lines one event carries; beyond, the page is told how many it missed. */
const LOG_LINES_PER_FLUSH = 200;
const LOG_FLUSH_MS = 250;
const LOG_LINE_LIMIT = 4096;
const HEARTBEAT_MS = 15_000;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export interface ConsoleAppOptions {
  readonly prefix: string;
  readonly token: string;
  readonly cloud: LocalCloud;
  readonly directory: StackDirectory;
  readonly sampler: Sampler;
  readonly clients: AwsClients;
  readonly jobs: RedriveJobs;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ConsoleApp {
  private readonly assets = loadAssets();
  private readonly streams = new Set<ServerResponse>();
  private readonly token: Buffer;

  constructor(private readonly options: ConsoleAppOptions) {
    this.token = Buffer.from(options.token);
  }

  /** Ends every open event stream (the cloud is stopping). */
  close(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname.slice(this.options.prefix.length);
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      if (path === '') {
        ensureMethod(method, ['GET', 'HEAD']);
        res.writeHead(308, { ...COMMON_HEADERS, location: `${this.options.prefix}/` }).end();
        return;
      }
      if (path === '/' || path === '/index.html') {
        ensureMethod(method, ['GET', 'HEAD']);
        this.page(res, method);
        return;
      }
      if (path.startsWith('/assets/')) {
        ensureMethod(method, ['GET', 'HEAD']);
        const asset = this.assets.get(path.slice('/assets/'.length));
        if (!asset) throw new HttpError(404, 'no such file');
        res.writeHead(200, {
          ...COMMON_HEADERS,
          'content-type': asset.type,
          'content-length': asset.body.length,
        });
        res.end(method === 'HEAD' ? undefined : asset.body);
        return;
      }
      if (path === '/api/events') {
        ensureMethod(method, ['GET']);
        this.events(req, res, url.searchParams);
        return;
      }
      if (path === '/api/stacks') {
        ensureMethod(method, ['GET']);
        send(res, 200, {
          sampleEveryMs: this.options.sampler.sampleEveryMs,
          stacks: this.options.directory.list().map((stack) => ({
            name: stack.name,
            status: stack.status,
            deployedAt: stack.deployedAt,
            pipeline: stack.pipeline !== undefined,
          })),
        });
        return;
      }
      const match = /^\/api\/stacks\/([^/]+)(\/.*)?$/.exec(path);
      if (!match) throw new HttpError(404, 'no such page');
      const stack = this.stack(decodeSegment(match[1]!));
      await this.stackRoute(req, res, method, stack, match[2] ?? '', url.searchParams);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : `failed: ${(error as Error).message}`;
      send(res, status, { message }, status === 405 ? { allow: (error as MethodError).allow ?? '' } : {});
    }
  }

  private async stackRoute(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    stack: StackEntry,
    route: string,
    query: URLSearchParams,
  ): Promise<void> {
    const { clients, cloud, sampler, jobs } = this.options;
    if (route === '/dlq/redrive') {
      const queue = this.deadLetterQueue(stack, query.get('queue'));
      if (method === 'GET') {
        send(res, 200, { job: jobs.latest(queue.url) ?? null });
        return;
      }
      ensureMethod(method, ['GET', 'POST']);
      this.authorize(req);
      const form = await readForm(req);
      const target = this.deadLetterQueue(stack, form.get('queue') ?? query.get('queue'));
      const mode = form.get('mode');
      if (mode !== 'all' && mode !== 'selected') throw new HttpError(400, "mode must be 'all' or 'selected'");
      const ids = form.getAll('id').filter((id) => id.length > 0 && id.length <= 128);
      if (mode === 'selected' && ids.length === 0)
        throw new HttpError(400, 'select at least one message (id)');
      if (ids.length > 1000) throw new HttpError(400, 'at most 1000 messages at once');
      try {
        send(res, 202, { job: jobs.start(target, mode === 'all' ? undefined : ids) });
      } catch (error) {
        if (error instanceof RedriveConflictError) throw new HttpError(409, error.message);
        throw error;
      }
      return;
    }
    ensureMethod(method, ['GET']);
    switch (route) {
      case '':
        send(res, 200, {
          name: stack.name,
          status: stack.status,
          deployedAt: stack.deployedAt,
          outputs: stack.outputs,
          pipeline: stack.pipeline !== undefined,
          architecture: stack.architecture,
          deadLetterQueues: deadLetterQueuesOf(stack).map((queue) => ({ id: queue.id, url: queue.url })),
          functions: resourcesOfType(stack, 'AWS::Lambda::Function').map((fn) => ({
            name: fn.physicalId,
            label: fn.logicalId.replace(/(?<=.)[0-9A-F]{8}$/, ''),
          })),
        });
        return;
      case '/status':
        // Read now, exactly as `oncely status --json --no-peek --stack NAME` reads it.
        if (!stack.pipeline)
          throw new HttpError(404, `stack ${stack.name} has no pipeline outputs (QueueUrl)`);
        send(res, 200, await readStatus(stack.pipeline, false));
        return;
      case '/samples':
        send(res, 200, { samples: sampler.samples(stack.name, Number(query.get('since') ?? 0) || 0) });
        return;
      case '/dashboard':
        send(res, 200, { dashboards: await readDashboards(stack, clients.cloudwatch, this.window(stack)) });
        return;
      case '/alarms':
        send(res, 200, { alarms: await readAlarms(stack, clients.cloudwatch) });
        return;
      case '/functions':
        send(res, 200, {
          functions: await readFunctions(stack, clients.cloudwatch, cloud, this.window(stack)),
        });
        return;
      case '/logs': {
        const filter = logFilter(stack, query);
        const limit = Math.min(1000, Math.max(1, Number(query.get('limit') ?? 300) || 300));
        const lines = [...filter.functions]
          .flatMap((name) => cloud.logs.tail(name, 1000))
          .filter((event) => filter.matches(event))
          .sort((a, b) => a.timestamp - b.timestamp)
          .slice(-limit)
          .map(logEntry);
        send(res, 200, { lines });
        return;
      }
      case '/dlq': {
        const queue = this.deadLetterQueue(stack, query.get('queue'));
        const max = Math.min(1000, Math.max(1, Number(query.get('max') ?? 100) || 100));
        send(res, 200, {
          ...(await listDeadLetterQueue(clients, queue, max)),
          job: jobs.latest(queue.url) ?? null,
        });
        return;
      }
      case '/dlq/message': {
        const queue = this.deadLetterQueue(stack, query.get('queue'));
        const id = query.get('id') ?? '';
        if (!id || id.length > 128) throw new HttpError(400, 'id: the message id');
        const message = await readDeadLetterBody(clients, queue, id, 1000);
        if (!message) throw new HttpError(404, 'the message is no longer in the dead-letter queue');
        send(res, 200, message);
        return;
      }
      case '/audit':
        send(res, 200, await readAudit(stack, clients));
        return;
      default:
        throw new HttpError(404, 'no such view');
    }
  }

  private page(res: ServerResponse, method: string): void {
    const template = this.assets.get('index.html');
    if (!template) throw new HttpError(500, 'the console page is missing from the package');
    // The token is base64url: nothing in it can end the attribute.
    const body = Buffer.from(
      template.body.toString('utf8').replace('__ONCELY_CONSOLE_TOKEN__', this.options.token),
    );
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'content-security-policy': CONTENT_SECURITY_POLICY,
    });
    res.end(method === 'HEAD' ? undefined : body);
  }

  /**
   * Server-sent events: `sample` for each new sample of the stack, `logs` with the function log
   * lines that match the filter (function, request id, text), `skipped` when lines were left out.
   */
  private events(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const stack = this.stack(query.get('stack') ?? '');
    const withLogs = query.get('logs') !== '0';
    const filter = logFilter(stack, query);
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    this.streams.add(res);
    const write = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const stopSamples = this.options.sampler.onSample((name, sample: StackSample) => {
      if (name === stack.name) write('sample', sample);
    });
    let pending: FunctionLogEvent[] = [];
    let skipped = 0;
    const stopLogs = withLogs
      ? this.options.cloud.logs.subscribe((event) => {
          if (!filter.matches(event)) return;
          if (pending.length >= LOG_LINES_PER_FLUSH) skipped++;
          else pending.push(event);
        })
      : () => {};
    const flush = setInterval(() => {
      if (pending.length) write('logs', pending.map(logEntry));
      if (skipped) write('skipped', { lines: skipped });
      pending = [];
      skipped = 0;
    }, LOG_FLUSH_MS);
    const heartbeat = setInterval(() => {
      if (!res.writableEnded) res.write(': heartbeat\n\n');
    }, HEARTBEAT_MS);
    flush.unref();
    heartbeat.unref();
    const stop = () => {
      stopSamples();
      stopLogs();
      clearInterval(flush);
      clearInterval(heartbeat);
      this.streams.delete(res);
    };
    req.on('close', stop);
    res.on('close', stop);
  }

  private authorize(req: IncomingMessage): void {
    const given = req.headers[TOKEN_HEADER];
    const token = Buffer.from(typeof given === 'string' ? given : '');
    if (token.length !== this.token.length || !timingSafeEqual(token, this.token))
      throw new HttpError(403, `an action needs this console's token in the ${TOKEN_HEADER} header`);
  }

  private stack(name: string): StackEntry {
    const stack = this.options.directory.get(name);
    if (!stack) throw new HttpError(404, 'no such stack');
    return stack;
  }

  private deadLetterQueue(stack: StackEntry, id: string | null) {
    const queues = deadLetterQueuesOf(stack);
    const queue = id ? queues.find((candidate) => candidate.id === id) : queues[0];
    if (!queue)
      throw new HttpError(
        404,
        id ? 'no such dead-letter queue in the stack' : 'the stack has no dead-letter queue',
      );
    return queue;
  }

  private window(stack: StackEntry): TimeWindow {
    // From the deployment: a console attached later still shows what the metrics kept of the run.
    const end = Date.now();
    const start = stack.deployedAt || this.options.sampler.samples(stack.name)[0]?.t || end - 60_000;
    return { start: Math.min(start, end - 1000), end };
  }
}

interface MethodError extends HttpError {
  readonly allow?: string;
}

function ensureMethod(method: string, allowed: readonly string[]): void {
  if (allowed.includes(method)) return;
  const error = new HttpError(405, `${method} is not allowed here`) as HttpError & { allow: string };
  error.allow = allowed.join(', ');
  throw error;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'malformed path');
  }
}

/** A form body (the guard lets no other body type through on these paths), at most MAX_BODY bytes. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the body exceeds ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

interface LogFilter {
  readonly functions: ReadonlySet<string>;
  matches(event: FunctionLogEvent): boolean;
}

/** Lines of the stack's functions, narrowed by `function` (name), `request` (id part) and `q` (text). */
function logFilter(stack: StackEntry, query: URLSearchParams): LogFilter {
  const all = resourcesOfType(stack, 'AWS::Lambda::Function').map((fn) => fn.physicalId);
  const wanted = query.get('function');
  const functions = new Set(wanted ? all.filter((name) => name === wanted) : all);
  const request = (query.get('request') ?? '').trim().toLowerCase();
  const text = (query.get('q') ?? '').trim().toLowerCase();
  return {
    functions,
    matches: (event) =>
      functions.has(event.functionName) &&
      (!request || (event.requestId ?? '').toLowerCase().includes(request)) &&
      (!text || event.line.toLowerCase().includes(text)),
  };
}

function logEntry(event: FunctionLogEvent) {
  return {
    t: event.timestamp,
    fn: event.functionName,
    requestId: event.requestId ?? null,
    source: event.source,
    line: event.line.length > LOG_LINE_LIMIT ? `${event.line.slice(0, LOG_LINE_LIMIT)}…` : event.line,
  };
}

/** The page and its assets, read once: plain files next to this module (no build step). */
function loadAssets(): Map<string, Asset> {
  const dir = fileURLToPath(new URL('./assets/', import.meta.url));
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type && /^[a-z0-9-]+\.[a-z]+$/.test(name))
      assets.set(name, { body: readFileSync(`${dir}${name}`), type });
  }
  return assets;
}
