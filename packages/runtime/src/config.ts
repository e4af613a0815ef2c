/**
 * The only module that reads the environment. Handlers call `loadConfig()` once at cold start and
 * ask for the settings they need; a missing setting fails at startup naming its variable.
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
  accountsTable: 'ONCELY_ACCOUNTS_TABLE',
  ledgerTable: 'ONCELY_LEDGER_TABLE',
  ordersTable: 'ONCELY_ORDERS_TABLE',
  idempotencyTable: 'ONCELY_IDEMPOTENCY_TABLE',
  consumerMode: 'ONCELY_CONSUMER_MODE',
  eventSourceMappingId: 'ONCELY_EVENT_SOURCE_MAPPING_ID',
  consumerFunctionName: 'ONCELY_CONSUMER_FUNCTION',
  scalingPolicy: 'ONCELY_SCALING_POLICY',
  metricsNamespace: 'ONCELY_METRICS_NAMESPACE',
  serviceName: 'ONCELY_SERVICE_NAME',
} as const;

export type SettingName = keyof typeof settings;
/** Environment variable of each setting, for the CDK stack that sets them. */
export const ENVIRONMENT_VARIABLES: Readonly<Record<SettingName, string>> = settings;

export interface Config {
  /** A setting, or a startup error that names its environment variable. */
  require(name: SettingName): string;
  optional(name: SettingName): string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const value = (name: SettingName) => {
    const raw = env[settings[name]];
    return raw === undefined || raw === '' ? undefined : raw;
  };
  return {
    require(name) {
      const raw = value(name);
      if (raw === undefined)
        throw new Error(`Missing configuration: environment variable ${settings[name]} (${name})`);
      return raw;
    },
    optional: value,
  };
}

/** Validates a JSON-valued setting against a schema, naming the variable on failure. */
export function parseJsonSetting<T>(config: Config, name: SettingName, schema: z.ZodType<T>): T | undefined {
  const raw = config.optional(name);
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new Error(`Invalid configuration ${settings[name]}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
