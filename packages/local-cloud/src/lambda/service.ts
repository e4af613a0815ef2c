/**
 * The Lambda service of the local cloud: the REST-JSON API of `@aws-sdk/client-lambda` for
 * functions, invocations, reserved concurrency and SQS event source mappings, plus an internal API
 * the template deployer uses to register functions straight from CDK asset directories.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../input-limits.js';
import { type Input, JsonInputReader, validationMessage } from '../json-input.js';
import {
  AwsError,
  DEFAULT_REGION,
  LOCAL_ACCOUNT_ID,
  type LocalService,
  type ServiceContext,
  type ServiceRequest,
  type ServiceResponse,
} from '../protocol.js';
import { FunctionLogStream, type FunctionLogs } from './function-logs.js';
import {
  type FunctionDefinition,
  FunctionRuntime,
  type InvocationResult,
  type LogLineOrigin,
  ThrottledError,
} from './function-runtime.js';
import {
  parseQueueArn,
  SqsEventSource,
  type SqsMappingConfig,
  type SqsMappingStats,
} from './sqs-event-source.js';
import { extractZip } from './zip-archive.js';

export interface LambdaServiceOptions {
  /** Endpoint functions and pollers call (`AWS_ENDPOINT_URL`); known once the server listens. */
  readonly endpoint?: () => string;
  /**
   * Concurrency of a mapping without ScalingConfig.MaximumConcurrency, and of a function without
   * reserved concurrency (Lambda's account default is 1000; worker threads are heavier locally).
   * @default 50
   */
  readonly localConcurrencyCap?: number;
  /** Divides function timeouts and batching windows (the demo's accelerated time). @default 1 */
  readonly timeScale?: number;
  /** Warm environments idle this long are reclaimed, as on Lambda. @default 300_000 (5 minutes) */
  readonly idleEnvironmentMs?: number;
  /** Log lines kept in memory per function (see {@link LambdaService.logs}). @default 1000 */
  readonly logTailLines?: number;
}

/** What the deployer (or a test) passes to create a function from a directory. */
export interface RegisterFunctionInput {
  readonly name: string;
  readonly codeDirectory: string;
  /** @default 'index.handler' */
  readonly handler?: string;
  /** @default 'nodejs22.x' */
  readonly runtime?: string;
  /** Seconds. @default 3 */
  readonly timeout?: number;
  /** @default 128 */
  readonly memorySize?: number;
  readonly environment?: Readonly<Record<string, string>>;
  readonly role?: string;
  readonly description?: string;
  readonly region?: string;
  /** Reserved concurrency (`ReservedConcurrentExecutions`). */
  readonly reservedConcurrency?: number;
}

export interface CreateMappingInput {
  readonly functionName: string;
  readonly eventSourceArn: string;
  readonly batchSize?: number;
  readonly maximumBatchingWindowInSeconds?: number;
  readonly maximumConcurrency?: number;
  readonly enabled?: boolean;
  readonly functionResponseTypes?: readonly string[];
}

export interface FunctionStats {
  readonly inFlight: number;
  readonly invocations: number;
  readonly errors: number;
  readonly coldStarts: number;
}

export type LogLineListener = (functionName: string, line: string) => void;

/** One finished (or throttled) invocation: what Lambda's built-in AWS/Lambda metrics count. */
export interface InvocationReport {
  readonly functionName: string;
  /** Epoch milliseconds (the local cloud's clock). */
  readonly timestamp: number;
  readonly durationMs: number;
  readonly outcome: 'success' | 'error' | 'throttled';
  /** Invocations of this function running when this one started (ConcurrentExecutions). */
  readonly concurrentExecutions: number;
}

export type InvocationListener = (report: InvocationReport) => void;

/** The Lambda service plus the in-process API the deployer, the CLI and CloudWatch use. */
export interface LambdaService extends LocalService {
  /**
   * Creates a function from a code directory. With `replace`, an existing function of that name is
   * updated (new code and configuration; warm environments are discarded, mappings keep running).
   */
  registerFunction(input: RegisterFunctionInput, options?: { replace?: boolean }): FunctionDefinition;
  /** Removes a function (name or ARN) and stops its environments. */
  deleteFunction(name: string): void;
  /** A function's definition by name or ARN, if it exists. */
  getFunction(name: string): FunctionDefinition | undefined;
  /** Invokes a function synchronously with `event`, as `Invoke` does. */
  invokeFunction(name: string, event: unknown): Promise<InvocationResult>;
  /** Counters of a function: invocations running now, completed, failed, environments started. */
  functionStats(name: string): FunctionStats;
  /** Creates an SQS event source mapping and starts polling. */
  createEventSourceMapping(input: CreateMappingInput): SqsMappingConfig;
  /** Changes a mapping live (batch size, window, `MaximumConcurrency`, enabled). */
  updateEventSourceMapping(uuid: string, changes: Partial<CreateMappingInput>): SqsMappingConfig;
  /** Every mapping. */
  listEventSourceMappings(): readonly SqsMappingConfig[];
  /** Live counters of a mapping (the same object, updated in place). */
  mappingStats(uuid: string): SqsMappingStats;
  /** Resets a mapping's `peakInFlight` to the current in-flight count. */
  resetMappingPeak(uuid: string): void;
  /** Resolves once the mapping has no running poller or invocation (after disabling it). */
  mappingIdle(uuid: string): Promise<void>;
  /**
   * Every function's log lines with their request id and source, and a bounded tail per function.
   * The local cloud exposes it as `cloud.logs`.
   */
  readonly logs: FunctionLogs;
  /** Every line a function writes to stdout/stderr; JSON lines with `_aws` are EMF metrics. */
  onLogLine(listener: LogLineListener): () => void;
  /**
   * Every invocation's outcome and duration, for AWS/Lambda metrics (Invocations, Errors,
   * Throttles, Duration, ConcurrentExecutions) in the CloudWatch emulator.
   */
  onInvocation(listener: InvocationListener): () => void;
  /** The most recent log lines of a function (at most the tail size, 1000 by default). */
  recentLogs(name: string): readonly string[];
  /** Divides function timeouts, batching windows and async retry delays by `timeScale`. */
  setTimeScale(timeScale: number): void;
}

const MAX_MAPPING_BATCH = 10_000;

/**
 * Lambda's request shapes and limits (https://docs.aws.amazon.com/lambda/latest/api/): a member
 * of the wrong JSON type is an InvalidRequestContentException, one outside its constraints a
 * ValidationException with AWS's "1 validation error detected" message.
 */
const reader = new JsonInputReader({
  missing: (path) =>
    new AwsError('ValidationException', validationMessage(path, null, 'Member must not be null')),
  serialization: (path) =>
    new AwsError('InvalidRequestContentException', `Could not parse request body into json: member ${path}.`),
  constraint: (path, value, rule) =>
    new AwsError('ValidationException', validationMessage(path, value, rule)),
});
/** API_Invoke.html FunctionName: a name, a partial or a full ARN, 1-170 characters. */
const FUNCTION_NAME_OR_ARN = {
  max: 170,
  pattern:
    /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/,
} as const;
/** A function's own name: 1-64 letters, digits, hyphens and underscores. */
const FUNCTION_NAME = /^[a-zA-Z0-9-_]{1,64}$/;
/**
 * Invocation payloads (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
 * 6 MB synchronous, 1 MB asynchronous.
 */
const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
/** Environment variables: 4 KB in total (gettingstarted-limits.html). */
const MAX_ENVIRONMENT_BYTES = 4 * 1024;
const INVOCATION_TYPES = ['Event', 'RequestResponse', 'DryRun'];

/** A path segment, percent-decoded; a malformed escape is the client's error, not ours. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsError(
      'ValidationException',
      `The request path has a malformed percent-encoding: ${segment.slice(0, 64)}`,
    );
  }
}

interface FunctionState {
  readonly runtime: FunctionRuntime;
  reservedConcurrency: number | undefined;
  readonly codeSha256: string;
  readonly lastModified: string;
}

interface SavedState {
  functions: Array<{ definition: FunctionDefinition; reservedConcurrency?: number }>;
  mappings: SqsMappingConfig[];
}

/** Creates the Lambda service; `options.endpoint` should be given once the server's port is known. */
export function createLambdaService(
  context: ServiceContext,
  options: LambdaServiceOptions = {},
): LambdaService {
  const cap = options.localConcurrencyCap ?? 50;
  let timeScale = options.timeScale ?? 1;
  let seenEndpoint: string | undefined;
  const functions = new Map<string, FunctionState>();
  const mappings = new Map<string, SqsEventSource>();
  const logListeners = new Set<LogLineListener>();
  const logs = new FunctionLogStream(options.logTailLines ?? 1000);
  const invocationListeners = new Set<InvocationListener>();
  const report = (value: InvocationReport) => {
    for (const listener of invocationListeners) listener(value);
  };
  const idleEnvironmentMs = options.idleEnvironmentMs ?? 300_000;
  const reclaimTimer = setInterval(
    () => {
      for (const state of functions.values()) state.runtime.reclaimIdle(idleEnvironmentMs);
    },
    Math.min(30_000, idleEnvironmentMs),
  );
  reclaimTimer.unref();

  const endpoint = (): string => {
    const value = options.endpoint?.() ?? seenEndpoint;
    if (!value) throw new Error('The Lambda service does not know the local cloud endpoint yet');
    return value;
  };

  const runtimeHost = {
    baseEnvironment: (): Record<string, string> => ({
      ...pick(process.env, ['PATH', 'LANG', 'HOME']),
      TZ: ':UTC',
      AWS_ENDPOINT_URL: endpoint(),
      AWS_REGION: DEFAULT_REGION,
      AWS_DEFAULT_REGION: DEFAULT_REGION,
      // Dummy credentials: the local cloud does not verify signatures, and real ones must not leak in.
      AWS_ACCESS_KEY_ID: 'oncely',
      AWS_SECRET_ACCESS_KEY: 'oncely-local',
    }),
    onLogLine: (functionName: string, line: string, origin: LogLineOrigin) => {
      logs.publish({ functionName, line, ...origin, timestamp: context.clock.now() });
      for (const listener of logListeners) listener(functionName, line);
    },
  };

  const mappingHost = {
    endpoint,
    invoke: (functionName: string, event: unknown) => invokeFunction(functionName, event),
    reservedConcurrency: (functionName: string) => functions.get(functionName)?.reservedConcurrency,
    defaultMaximumConcurrency: cap,
    get timeScale() {
      return timeScale;
    },
  };

  function requireFunction(nameOrArn: string): FunctionState {
    const state = functions.get(functionNameOf(nameOrArn));
    if (!state) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: ${functionArn(DEFAULT_REGION, functionNameOf(nameOrArn))}`,
        404,
      );
    }
    return state;
  }

  function requireMapping(uuid: string): SqsEventSource {
    const mapping = mappings.get(uuid);
    if (!mapping) {
      throw new AwsError(
        'ResourceNotFoundException',
        `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`,
        404,
      );
    }
    return mapping;
  }

  function registerFunction(
    input: RegisterFunctionInput,
    registerOptions: { replace?: boolean } = {},
  ): FunctionDefinition {
    if (!/^[a-zA-Z0-9-_]{1,64}$/.test(input.name)) {
      throw new AwsError('InvalidParameterValueException', `Invalid function name: ${input.name}`);
    }
    const existing = functions.get(input.name);
    if (existing && !registerOptions.replace) {
      throw new AwsError('ResourceConflictException', `Function already exist: ${input.name}`, 409);
    }
    existing?.runtime.close();
    const definition: FunctionDefinition = {
      name: input.name,
      arn: functionArn(input.region ?? DEFAULT_REGION, input.name),
      codeDirectory: input.codeDirectory,
      handler: input.handler ?? 'index.handler',
      runtime: input.runtime ?? 'nodejs22.x',
      timeout: input.timeout ?? 3,
      memorySize: input.memorySize ?? 128,
      environment: { ...input.environment },
      ...(input.role ? { role: input.role } : {}),
      ...(input.description ? { description: input.description } : {}),
    };
    functions.set(input.name, {
      runtime: new FunctionRuntime(definition, runtimeHost, input.reservedConcurrency ?? cap),
      reservedConcurrency: input.reservedConcurrency,
      codeSha256: createHash('sha256').update(definition.codeDirectory).digest('base64'),
      lastModified: lambdaTimestamp(context.clock.now()),
    });
    if (existing) {
      // Mappings re-read the reserved concurrency, which the new configuration may have changed.
      for (const mapping of mappings.values()) {
        if (mapping.config.functionName === input.name) mapping.update(mapping.config);
      }
    }
    return definition;
  }

  function deleteFunction(name: string): void {
    const state = requireFunction(name);
    state.runtime.close();
    functions.delete(state.runtime.definition.name);
    logs.forget(state.runtime.definition.name);
  }

  async function invokeFunction(
    name: string,
    event: unknown,
    invokeOptions: { throttle?: boolean } = {},
  ): Promise<InvocationResult> {
    const state = requireFunction(name);
    const started = performance.now();
    const base = {
      functionName: state.runtime.definition.name,
      timestamp: context.clock.now(),
      concurrentExecutions: state.runtime.inFlight + 1,
    };
    try {
      const result = await state.runtime.invoke(event, { requestId: randomUUID(), timeScale }, invokeOptions);
      report({
        ...base,
        durationMs: performance.now() - started,
        outcome: result.functionError ? 'error' : 'success',
      });
      return result;
    } catch (error) {
      if (error instanceof ThrottledError) report({ ...base, durationMs: 0, outcome: 'throttled' });
      throw error;
    }
  }

  /**
   * Asynchronous invocation: Lambda retries a failed event twice, one and then two minutes later
   * (scaled by the time scale), then drops it (no destinations locally).
   */
  function invokeAsynchronously(name: string, event: unknown): void {
    const delays = [0, 60_000, 120_000];
    const attempt = (index: number) => {
      invokeFunction(name, event).then(
        (result) => {
          if (result.functionError && index + 1 < delays.length) schedule(index + 1);
        },
        () => undefined,
      );
    };
    const schedule = (index: number) => {
      setTimeout(() => attempt(index), (delays[index] ?? 0) / timeScale).unref();
    };
    attempt(0);
  }

  function setReservedConcurrency(state: FunctionState, value: number | undefined): void {
    state.reservedConcurrency = value;
    state.runtime.setLimit(value ?? cap);
    for (const mapping of mappings.values()) {
      if (mapping.config.functionName === state.runtime.definition.name) mapping.update(mapping.config);
    }
  }

  function createEventSourceMapping(input: CreateMappingInput): SqsMappingConfig {
    const state = requireFunction(input.functionName);
    try {
      parseQueueArn(input.eventSourceArn);
    } catch {
      throw new AwsError(
        'InvalidParameterValueException',
        `Unsupported event source: ${input.eventSourceArn}`,
      );
    }
    const config: SqsMappingConfig = validateMapping({
      uuid: randomUUID(),
      functionName: state.runtime.definition.name,
      functionArn: state.runtime.definition.arn,
      eventSourceArn: input.eventSourceArn,
      batchSize: input.batchSize ?? 10,
      maximumBatchingWindowInSeconds: input.maximumBatchingWindowInSeconds ?? 0,
      maximumConcurrency: input.maximumConcurrency,
      enabled: input.enabled ?? true,
      functionResponseTypes: input.functionResponseTypes ?? [],
      lastModified: context.clock.now(),
    });
    const mapping = new SqsEventSource(config, mappingHost);
    mappings.set(config.uuid, mapping);
    mapping.start();
    return config;
  }

  function updateEventSourceMapping(uuid: string, changes: Partial<CreateMappingInput>): SqsMappingConfig {
    const mapping = requireMapping(uuid);
    const target = changes.functionName
      ? requireFunction(changes.functionName).runtime.definition
      : undefined;
    const config = validateMapping({
      ...mapping.config,
      ...(target ? { functionName: target.name, functionArn: target.arn } : {}),
      ...defined({
        batchSize: changes.batchSize,
        maximumBatchingWindowInSeconds: changes.maximumBatchingWindowInSeconds,
        enabled: changes.enabled,
        functionResponseTypes: changes.functionResponseTypes,
      }),
      ...('maximumConcurrency' in changes ? { maximumConcurrency: changes.maximumConcurrency } : {}),
      lastModified: context.clock.now(),
    });
    mapping.update(config);
    return config;
  }

  function deleteEventSourceMapping(uuid: string): SqsMappingConfig {
    const mapping = requireMapping(uuid);
    mapping.close();
    mappings.delete(uuid);
    return mapping.config;
  }

  /** Everything the demo's progress display needs, also served at GET /_oncely/lambda/stats. */
  function statistics() {
    return {
      functions: Object.fromEntries(
        [...functions.entries()].map(([name, state]) => [
          name,
          {
            inFlight: state.runtime.inFlight,
            invocations: state.runtime.invocations,
            errors: state.runtime.errors,
            coldStarts: state.runtime.coldStarts,
            warmEnvironments: state.runtime.warmEnvironments,
            reservedConcurrency: state.reservedConcurrency ?? null,
          },
        ]),
      ),
      eventSourceMappings: [...mappings.values()].map((mapping) => ({
        ...mappingToWire(mapping.config),
        stats: mapping.stats,
      })),
    };
  }

  function functionConfiguration(state: FunctionState): Record<string, unknown> {
    const definition = state.runtime.definition;
    return {
      FunctionName: definition.name,
      FunctionArn: definition.arn,
      Runtime: definition.runtime,
      Role: definition.role ?? `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/lambda-role`,
      Handler: definition.handler,
      CodeSize: 0,
      Description: definition.description ?? '',
      Timeout: definition.timeout,
      MemorySize: definition.memorySize,
      LastModified: state.lastModified,
      CodeSha256: state.codeSha256,
      Version: '$LATEST',
      Environment: { Variables: definition.environment },
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      Architectures: ['x86_64'],
      LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${definition.name}` },
    };
  }

  /**
   * CreateFunction (API_CreateFunction.html). Every member is checked before anything is written:
   * the function name becomes part of a temporary directory's name, so one that is too long or
   * holds a path separator must never reach mkdtemp.
   */
  async function createFunctionFromRequest(input: Input, region: string) {
    const name = functionNameOf(
      reader.requiredString(input, 'FunctionName', { ...FUNCTION_NAME_OR_ARN, max: 140 }),
    );
    if (!FUNCTION_NAME.test(name)) {
      throw new AwsError(
        'ValidationException',
        validationMessage(
          'functionName',
          name,
          'Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64}',
        ),
      );
    }
    const code = reader.optionalStructure(input, 'Code') ?? {};
    const zipFile = reader.string(code, 'ZipFile', {}, 'code.zipFile');
    const handler = reader.string(input, 'Handler', { max: 128, pattern: /^[^\s]+$/ });
    const runtime = reader.string(input, 'Runtime', { min: 1, max: 64 });
    const timeout = reader.number(input, 'Timeout', { integer: true, min: 1, max: 900 });
    const memorySize = reader.number(input, 'MemorySize', { integer: true, min: 128, max: 10_240 });
    const role = reader.string(input, 'Role', { min: 1, max: 2048 });
    const description = reader.string(input, 'Description', { max: 256 });
    const environment = environmentVariables(input);
    if (!zipFile) {
      throw new AwsError(
        'InvalidParameterValueException',
        'The local cloud accepts Code.ZipFile only (S3 and image code are not available locally)',
      );
    }
    if (functions.has(name)) {
      throw new AwsError('ResourceConflictException', `Function already exist: ${name}`, 409);
    }
    const directory = await mkdtemp(join(tmpdir(), `oncely-lambda-${name}-`));
    try {
      await extractZip(Buffer.from(zipFile, 'base64'), directory);
    } catch (error) {
      throw new AwsError(
        'InvalidParameterValueException',
        `Could not unzip uploaded file: ${(error as Error).message}`,
      );
    }
    registerFunction({
      name,
      codeDirectory: directory,
      region,
      ...defined({ handler, runtime, timeout, memorySize, role, description, environment }),
    });
    return functionConfiguration(requireFunction(name));
  }

  async function invokeFromRequest(request: ServiceRequest, name: string): Promise<ServiceResponse> {
    const state = requireFunction(name);
    const invocationType = headerValue(request, 'x-amz-invocation-type') || 'RequestResponse';
    if (!INVOCATION_TYPES.includes(invocationType)) {
      throw new AwsError(
        'ValidationException',
        validationMessage(
          'invocationType',
          invocationType,
          `Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`,
        ),
      );
    }
    const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
    if (request.rawBody.length > limit) {
      throw new AwsError(
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the ${invocationType} invocation type`,
        413,
      );
    }
    const raw = request.rawBody.length ? request.rawBody.toString('utf8') : '{}';
    let event: unknown;
    try {
      // Deeper payloads would overflow the stack of whatever copies them to the function.
      if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) throw new Error('too deep');
      event = JSON.parse(raw);
    } catch {
      throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json', 400);
    }
    const headers = { 'x-amz-executed-version': '$LATEST' };
    if (invocationType === 'DryRun') return { status: 204, headers, body: '' };
    if (invocationType === 'Event') {
      invokeAsynchronously(state.runtime.definition.name, event);
      return { status: 202, headers, body: '' };
    }
    let result: InvocationResult;
    try {
      result = await invokeFunction(state.runtime.definition.name, event, {
        throttle: state.reservedConcurrency !== undefined,
      });
    } catch (error) {
      if (error instanceof ThrottledError) {
        throw new AwsError('TooManyRequestsException', 'Rate Exceeded.', 429, {
          Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
        });
      }
      throw error;
    }
    return {
      status: 200,
      headers: {
        ...headers,
        'content-type': 'application/json',
        ...(result.functionError ? { 'x-amz-function-error': result.functionError } : {}),
      },
      body: result.payload,
    };
  }

  async function route(request: ServiceRequest): Promise<ServiceResponse> {
    const [rawPath = '/', rawQuery = ''] = request.url.split('?');
    const query = new URLSearchParams(rawQuery);
    const segments = rawPath.split('/').filter(Boolean).map(decodePathSegment);
    const [version, collection, id, sub] = segments;
    if (collection === 'functions' && id !== undefined) {
      reader.requiredString({ id }, 'id', FUNCTION_NAME_OR_ARN, 'functionName');
    }
    const method = request.method.toUpperCase();
    const input = reader.structure(request.input ?? {}, 'body');
    seenEndpoint ??= `http://${request.host}`;

    if (version === '_oncely' && collection === 'lambda' && id === 'stats' && method === 'GET') {
      return json(statistics());
    }

    if (collection === 'functions') {
      if (version === '2015-03-31') {
        if (!id && method === 'POST')
          return json(await createFunctionFromRequest(input, request.region), 201);
        if (!id && method === 'GET') {
          return json({ Functions: [...functions.values()].map(functionConfiguration) });
        }
        if (id && !sub && method === 'GET') {
          const state = requireFunction(id);
          return json({
            Configuration: functionConfiguration(state),
            Code: { RepositoryType: 'Local', Location: state.runtime.definition.codeDirectory },
            ...(state.reservedConcurrency !== undefined
              ? { Concurrency: { ReservedConcurrentExecutions: state.reservedConcurrency } }
              : {}),
          });
        }
        if (id && !sub && method === 'DELETE') {
          deleteFunction(id);
          for (const [uuid, mapping] of mappings) {
            if (mapping.config.functionName === functionNameOf(id)) deleteEventSourceMapping(uuid);
          }
          return { status: 204, headers: {}, body: '' };
        }
        if (id && sub === 'configuration' && method === 'GET') {
          return json(functionConfiguration(requireFunction(id)));
        }
        if (id && sub === 'invocations' && method === 'POST') return invokeFromRequest(request, id);
      }
      if (id && sub === 'concurrency') {
        const state = requireFunction(id);
        if (method === 'PUT') {
          const value = reader.number(input, 'ReservedConcurrentExecutions', {
            required: true,
            integer: true,
          });
          if (value === undefined || value < 0) {
            throw new AwsError('InvalidParameterValueException', 'ReservedConcurrentExecutions must be >= 0');
          }
          setReservedConcurrency(state, value);
          return json({ ReservedConcurrentExecutions: value });
        }
        if (method === 'GET') {
          return json(
            state.reservedConcurrency === undefined
              ? {}
              : { ReservedConcurrentExecutions: state.reservedConcurrency },
          );
        }
        if (method === 'DELETE') {
          setReservedConcurrency(state, undefined);
          return { status: 204, headers: {}, body: '' };
        }
      }
    }

    if (collection === 'event-source-mappings' && version === '2015-03-31') {
      if (!id && method === 'POST') {
        const config = createEventSourceMapping(mappingInputFromWire(input, true) as CreateMappingInput);
        return json(mappingToWire(config, 'Creating'), 202);
      }
      if (!id && method === 'GET') {
        const functionFilter = query.get('FunctionName');
        const sourceFilter = query.get('EventSourceArn');
        const listed = [...mappings.values()]
          .map((mapping) => mapping.config)
          .filter(
            (config) =>
              (!functionFilter || config.functionName === functionNameOf(functionFilter)) &&
              (!sourceFilter || config.eventSourceArn === sourceFilter),
          );
        return json({ EventSourceMappings: listed.map((config) => mappingToWire(config)) });
      }
      if (id && method === 'GET') return json(mappingToWire(requireMapping(id).config));
      if (id && method === 'PUT') {
        const config = updateEventSourceMapping(id, mappingInputFromWire(input, false));
        return json(mappingToWire(config, 'Updating'), 202);
      }
      if (id && method === 'DELETE')
        return json(mappingToWire(deleteEventSourceMapping(id), 'Deleting'), 202);
    }
    throw new AwsError('UnknownOperationException', `Unsupported Lambda operation ${method} ${rawPath}`, 404);
  }

  return {
    signingNames: ['lambda'],
    targetPrefixes: [],
    // `/_oncely/lambda` is not AWS: the local statistics endpoint for tools in another process.
    pathPrefixes: [
      '/_oncely/lambda',
      '/2015-03-31/functions',
      '/2015-03-31/event-source-mappings',
      '/2017-10-31/functions',
      '/2019-09-30/functions',
    ],
    async dispatch(request) {
      try {
        return await route(request);
      } catch (error) {
        if (error instanceof AwsError) return restJsonError(error);
        throw error;
      }
    },
    registerFunction,
    deleteFunction,
    getFunction: (name) => functions.get(functionNameOf(name))?.runtime.definition,
    invokeFunction: (name, event) => invokeFunction(name, event),
    functionStats(name) {
      const { runtime } = requireFunction(name);
      return {
        inFlight: runtime.inFlight,
        invocations: runtime.invocations,
        errors: runtime.errors,
        coldStarts: runtime.coldStarts,
      };
    },
    createEventSourceMapping,
    updateEventSourceMapping,
    listEventSourceMappings: () => [...mappings.values()].map((mapping) => mapping.config),
    mappingStats: (uuid) => requireMapping(uuid).stats,
    resetMappingPeak: (uuid) => requireMapping(uuid).resetPeak(),
    mappingIdle: (uuid) => requireMapping(uuid).idle(),
    logs,
    onLogLine(listener) {
      logListeners.add(listener);
      return () => logListeners.delete(listener);
    },
    onInvocation(listener) {
      invocationListeners.add(listener);
      return () => invocationListeners.delete(listener);
    },
    recentLogs: (name) => logs.tail(functionNameOf(name)).map((event) => event.line),
    setTimeScale(value) {
      timeScale = value;
    },
    snapshot(): SavedState {
      return {
        functions: [...functions.values()].map((state) => ({
          definition: state.runtime.definition,
          ...(state.reservedConcurrency !== undefined
            ? { reservedConcurrency: state.reservedConcurrency }
            : {}),
        })),
        mappings: [...mappings.values()].map((mapping) => mapping.config),
      };
    },
    restore(state) {
      const saved = state as SavedState;
      for (const { definition, reservedConcurrency } of saved.functions ?? []) {
        const { name, codeDirectory, handler, runtime, timeout, memorySize, environment, role, description } =
          definition;
        registerFunction({
          name,
          codeDirectory,
          handler,
          runtime,
          timeout,
          memorySize,
          environment,
          region: definition.arn.split(':')[3] ?? DEFAULT_REGION,
          ...defined({ role, description, reservedConcurrency }),
        });
      }
      for (const config of saved.mappings ?? []) {
        const mapping = new SqsEventSource(config, mappingHost);
        mappings.set(config.uuid, mapping);
        // Pollers start lazily: the endpoint is only known once the server listens.
        setImmediate(() => mapping.start());
      }
    },
    close() {
      clearInterval(reclaimTimer);
      for (const mapping of mappings.values()) mapping.close();
      for (const state of functions.values()) state.runtime.close();
    },
  };
}

function validateMapping(config: SqsMappingConfig): SqsMappingConfig {
  const queueName = parseQueueArn(config.eventSourceArn).name;
  const maxBatch = queueName.endsWith('.fifo') ? 10 : MAX_MAPPING_BATCH;
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1 || config.batchSize > maxBatch) {
    throw new AwsError('InvalidParameterValueException', `BatchSize must be between 1 and ${maxBatch}`);
  }
  if (config.maximumBatchingWindowInSeconds < 0 || config.maximumBatchingWindowInSeconds > 300) {
    throw new AwsError('InvalidParameterValueException', 'MaximumBatchingWindowInSeconds must be 0..300');
  }
  if (
    config.maximumConcurrency !== undefined &&
    (config.maximumConcurrency < 2 || config.maximumConcurrency > 1000)
  ) {
    throw new AwsError('InvalidParameterValueException', 'MaximumConcurrency must be between 2 and 1000');
  }
  return config;
}

/**
 * Wire members (CreateEventSourceMapping / UpdateEventSourceMapping) to the internal input, each
 * with its shape (API_CreateEventSourceMapping.html); ranges are validateMapping's.
 */
function mappingInputFromWire(input: Input, creating: boolean): Partial<CreateMappingInput> {
  const scaling = reader.optionalStructure(input, 'ScalingConfig');
  const functionName = reader.string(input, 'FunctionName', { ...FUNCTION_NAME_OR_ARN, min: 1, max: 140 });
  const eventSourceArn = reader.string(input, 'EventSourceArn', { min: 12, max: 1024 });
  if (creating && (functionName === undefined || eventSourceArn === undefined)) {
    throw new AwsError('InvalidParameterValueException', 'FunctionName and EventSourceArn are required');
  }
  return {
    ...defined({
      functionName,
      eventSourceArn,
      batchSize: reader.number(input, 'BatchSize', { integer: true }),
      maximumBatchingWindowInSeconds: reader.number(input, 'MaximumBatchingWindowInSeconds', {
        integer: true,
      }),
      enabled: reader.boolean(input, 'Enabled'),
      functionResponseTypes:
        input.FunctionResponseTypes === undefined
          ? undefined
          : reader.stringList(input, 'FunctionResponseTypes', {
              max: 1,
              item: { values: ['ReportBatchItemFailures'] },
            }),
    }),
    // An empty ScalingConfig removes the limit, as on Lambda.
    ...(scaling
      ? {
          maximumConcurrency: reader.number(
            scaling,
            'MaximumConcurrency',
            { integer: true },
            'scalingConfig.maximumConcurrency',
          ),
        }
      : {}),
  };
}

/** Environment.Variables: names [a-zA-Z][a-zA-Z0-9_]+, string values, 4 KB in total. */
function environmentVariables(input: Input): Record<string, string> | undefined {
  const environment = reader.optionalStructure(input, 'Environment', 'environment');
  const variables =
    environment && reader.optionalStructure(environment, 'Variables', 'environment.variables');
  if (!variables) return undefined;
  let bytes = 0;
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (!/^[a-zA-Z][a-zA-Z0-9_]+$/.test(name)) {
      throw reader.errors.constraint(
        'environment.variables',
        name,
        'Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+',
      );
    }
    if (typeof value !== 'string') throw reader.errors.serialization(`environment.variables.${name}`);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    result[name] = value;
  }
  if (bytes > MAX_ENVIRONMENT_BYTES) {
    throw new AwsError(
      'InvalidParameterValueException',
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. Size: ${bytes} bytes`,
    );
  }
  return result;
}

function mappingToWire(config: SqsMappingConfig, transition?: string): Record<string, unknown> {
  return {
    UUID: config.uuid,
    BatchSize: config.batchSize,
    MaximumBatchingWindowInSeconds: config.maximumBatchingWindowInSeconds,
    EventSourceArn: config.eventSourceArn,
    FunctionArn: config.functionArn,
    LastModified: config.lastModified / 1000,
    State: transition ?? (config.enabled ? 'Enabled' : 'Disabled'),
    StateTransitionReason: 'USER_INITIATED',
    FunctionResponseTypes: config.functionResponseTypes,
    ...(config.maximumConcurrency !== undefined
      ? { ScalingConfig: { MaximumConcurrency: config.maximumConcurrency } }
      : {}),
  };
}

/** Lambda's REST-JSON errors: the type in `x-amzn-errortype`, `{Type, Message}` in the body. */
function restJsonError(error: AwsError): ServiceResponse {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amzn-errortype': error.code,
  };
  if (error.status === 429) headers['retry-after'] = '1';
  return {
    status: error.status,
    headers,
    body: JSON.stringify({
      Type: error.fault === 'Sender' ? 'User' : 'Service',
      Message: error.message,
      message: error.message,
      ...error.extra,
    }),
  };
}

function json(body: unknown, status = 200): ServiceResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Accepts a name, a full ARN (`arn:aws:lambda:r:a:function:name[:qualifier]`) or a partial one. */
export function functionNameOf(nameOrArn: string): string {
  const parts = nameOrArn.split(':');
  const index = parts.indexOf('function');
  if (index >= 0 && parts[index + 1]) return parts[index + 1]!;
  return parts[0]!;
}

function functionArn(region: string, name: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`;
}

/** Lambda's LastModified format: `2026-11-25T10:00:00.000+0000`. */
function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function headerValue(request: ServiceRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function pick(source: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = source[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Drops undefined members, so optional inputs do not override defaults. */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
