/**
 * The only module that reads the environment. Handlers call `loadConfig()` once, on their first
 * invocation, and ask for the settings they need; a missing setting fails at startup naming its
 * variable. The variables are the ones the `@oncely/cdk` constructs set.
 */
import { z } from 'zod';

const settings = {
  region: 'AWS_REGION',
  endpoint: 'AWS_ENDPOINT_URL',
  queueUrl: 'ONCELY_QUEUE_URL',
  deadLetterQueueUrl: 'ONCELY_DLQ_URL',
  claimsTable: 'ONCELY_CLAIMS_TABLE',
  outboxTable: 'ONCELY_OUTBOX_TABLE',
  leasesTable: 'ONCELY_LEASES_TABLE',
  controlTable: 'ONCELY_CONTROL_TABLE',
  consumerMode: 'ONCELY_CONSUMER_MODE',
  eventSourceMappingId: 'ONCELY_EVENT_SOURCE_MAPPING_ID',
  consumerFunctionName: 'ONCELY_CONSUMER_FUNCTION',
  scalingPolicy: 'ONCELY_SCALING_POLICY',
  metricsNamespace: 'ONCELY_METRICS_NAMESPACE',
  serviceName: 'ONCELY_SERVICE_NAME',
} as const;

/** A setting of the runtime, by the name the code uses (`queueUrl`, not `ONCELY_QUEUE_URL`). */
export type SettingName = keyof typeof settings;

/**
 * The environment variable of each setting, for the constructs that set them and the tools that
 * read them.
 *
 * @example
 * fn.addEnvironment(ENVIRONMENT_VARIABLES.claimsTable, claims.tableName); // ONCELY_CLAIMS_TABLE
 */
export const ENVIRONMENT_VARIABLES: Readonly<Record<SettingName, string>> = settings;

/** The environment, read through names: a missing value is a startup error that names its variable. */
export interface Config {
  /** A runtime setting, or an error naming its environment variable. */
  require(name: SettingName): string;
  /** A runtime setting, or undefined when its variable is unset or empty. */
  optional(name: SettingName): string | undefined;
  /**
   * Any other variable, e.g. your own table's name, or an error naming it.
   *
   * @example
   * const stockTable = config.requireVariable('STOCK_TABLE');
   */
  requireVariable(variable: string): string;
  /** Any other variable, or undefined when it is unset or empty. */
  optionalVariable(variable: string): string | undefined;
}

/**
 * Reads settings from `env`. Nothing is read until a setting is asked for.
 *
 * @param env - the variables to read. @default process.env
 * @example
 * const config = loadConfig();
 * const claimsTable = config.require('claimsTable'); // throws naming ONCELY_CLAIMS_TABLE when unset
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const optionalVariable = (variable: string) => {
    const raw = env[variable];
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const requireVariable = (variable: string, name?: string) => {
    const raw = optionalVariable(variable);
    if (raw === undefined)
      throw new Error(`Missing configuration: environment variable ${variable}${name ? ` (${name})` : ''}`);
    return raw;
  };
  return {
    require: (name) => requireVariable(settings[name], name),
    optional: (name) => optionalVariable(settings[name]),
    requireVariable: (variable) => requireVariable(variable),
    optionalVariable,
  };
}

/** Validates a JSON-valued setting against a schema, naming the variable on failure; undefined when unset. */
export function parseJsonSetting<T>(config: Config, name: SettingName, schema: z.ZodType<T>): T | undefined {
  const raw = config.optional(name);
  return raw === undefined ? undefined : parseJson(name, raw, schema);
}

/** Like {@link parseJsonSetting}, but a missing setting is an error naming its variable. */
export function requireJsonSetting<T>(config: Config, name: SettingName, schema: z.ZodType<T>): T {
  return parseJson(name, config.require(name), schema);
}

function parseJson<T>(name: SettingName, raw: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`Invalid configuration ${settings[name]}: not JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(`Invalid configuration ${settings[name]}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
