/**
 * Validated settings of the pipeline stack. They come from typed props, from the `oncely` object
 * in `cdk.json` context, or from `-c oncely:<setting>=<value>` on the command line (highest wins:
 * props > command-line keys > the `oncely` object > defaults). An invalid value fails `cdk synth`
 * with a message naming the setting.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const backlogStepSchema = z.object({
  /** Visible messages at or above which this step's alarm fires. */
  visibleMessages: positiveInt,
  /** Maximum concurrency the scaler sets while this is the highest step in alarm. */
  maximumConcurrency: z.number().int().min(2).max(1000),
  /** Degradation level consumers apply while this is the highest step in alarm. */
  degradation: z.enum(['normal', 'elevated', 'critical']),
});

/**
 * The schema of {@link PipelineSettingsInput}: each setting with its range and default, and the
 * cross-checks (FIFO batch sizes, step order, ...). {@link parsePipelineSettings} applies it.
 */
export const pipelineSettingsSchema = z
  .object({
    /** FIFO orders by message group and deduplicates; standard scales without groups. */
    queueType: z.enum(['fifo', 'standard']).default('fifo'),
    /** Receives before SQS moves a message to the DLQ. */
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    /** Consumer function timeout; the queue's visibility timeout is 6x this plus the batching window. */
    consumerTimeoutSeconds: z.number().int().min(1).max(900).default(30),
    /** Records per consumer invocation. */
    batchSize: z.number().int().min(1).max(10_000).default(10),
    /** Seconds the event source mapping may wait to fill a batch (standard queues only). */
    maxBatchingWindowSeconds: z.number().int().min(0).max(300).default(0),
    /** Memory of every function. */
    memorySizeMb: z.number().int().min(128).max(10_240).default(512),
    /** Reserved concurrency of the consumer function; unset: the account's unreserved pool. */
    consumerReservedConcurrency: positiveInt.optional(),
    /** Event source mapping maximum concurrency with no backlog (and the scaler's lower bound). */
    concurrencyFloor: z.number().int().min(2).max(1000).default(2),
    /** Upper bound of the scaler whatever the steps say. */
    concurrencyCeiling: z.number().int().min(2).max(1000).default(50),
    /** Backlog alarms on visible messages, lowest first; each drives one scaling step. */
    backlogSteps: z
      .object({
        /** The lowest step. */
        elevated: backlogStepSchema,
        /** The middle step. */
        high: backlogStepSchema,
        /** The highest step; it also notifies the alarm topic. */
        critical: backlogStepSchema,
      })
      .default({
        elevated: { visibleMessages: 1_000, maximumConcurrency: 10, degradation: 'normal' },
        high: { visibleMessages: 10_000, maximumConcurrency: 25, degradation: 'elevated' },
        critical: { visibleMessages: 50_000, maximumConcurrency: 50, degradation: 'critical' },
      }),
    /**
     * FIFO only: estimated number of message groups active at once. SQS has no group count, so the
     * scaler caps concurrency at this estimate (consumers cannot outnumber partitions).
     */
    expectedMessageGroups: positiveInt.optional(),
    /** `on-demand`: ScalingConfig.MaximumConcurrency; `provisioned`: ProvisionedPollerConfig. */
    pollerMode: z.enum(['on-demand', 'provisioned']).default('on-demand'),
    /** Provisioned mode: MinimumPollers. */
    minimumPollers: z.number().int().min(2).max(200).default(2),
    /** Alarm when the oldest message is older than this. */
    oldestMessageAgeAlarmSeconds: positiveInt.default(300),
    /** Alarm when the consumer reports at least this many errors in 5 minutes. */
    consumerErrorsAlarmThreshold: positiveInt.default(1),
    /** Alarm when the consumer is throttled at least this often in 5 minutes. */
    consumerThrottlesAlarmThreshold: positiveInt.default(1),
    /** Source queue retention (the DLQ always keeps 14 days, the SQS maximum). */
    queueRetentionDays: z.number().int().min(1).max(14).default(4),
    /** Log retention of every function, in days (a value CloudWatch Logs accepts). */
    logRetentionDays: z
      .number()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    /** What `cdk destroy` does to queues, tables, keys and logs. */
    removalPolicy: z.enum(['retain', 'destroy', 'snapshot']).default('retain'),
    /** Queue (and alarm topic) encryption. */
    encryption: z.enum(['sqs-managed', 'kms']).default('sqs-managed'),
    /** E-mail subscribed to the alarm topic. */
    alarmEmail: z.email().optional(),
    /** Existing SNS topic for alarm notifications instead of a new one. */
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/, 'must be an SNS topic ARN')
      .optional(),
    /** Minutes between outbox relay sweeps. */
    relayIntervalMinutes: z.number().int().min(1).max(60).default(1),
    /** Minutes between compensation sweeps. */
    compensationIntervalMinutes: z.number().int().min(1).max(1440).default(5),
    /** Minutes between loss audits. */
    auditIntervalMinutes: z.number().int().min(1).max(1440).default(5),
    /** Powertools service name; also the `service` dimension of the custom metrics. */
    serviceName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .default('oncely'),
    /**
     * `transactional`: the claim commits with the handler's DynamoDB writes in one transaction;
     * `claim`: claim, run the handler, complete. Passed to the consumer as ONCELY_CONSUMER_MODE.
     */
    consumerMode: z.enum(['transactional', 'claim']).default('transactional'),
  })
  .strict()
  .superRefine((settings, context) => {
    const issue = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (settings.concurrencyFloor > settings.concurrencyCeiling)
      issue('concurrencyFloor', 'must not exceed concurrencyCeiling');
    if (settings.queueType === 'fifo') {
      if (settings.batchSize > 10) issue('batchSize', 'must be at most 10 on a FIFO queue');
      if (settings.maxBatchingWindowSeconds > 0)
        issue('maxBatchingWindowSeconds', 'must be 0 on a FIFO queue (Lambda does not batch-wait on FIFO)');
    } else if (settings.batchSize > 10 && settings.maxBatchingWindowSeconds === 0) {
      issue('maxBatchingWindowSeconds', 'must be at least 1 when batchSize exceeds 10');
    }
    if (settings.pollerMode === 'provisioned' && settings.minimumPollers > settings.concurrencyFloor)
      issue('minimumPollers', 'must not exceed concurrencyFloor (the initial MaximumPollers)');
    if (settings.expectedMessageGroups !== undefined && settings.queueType !== 'fifo')
      issue('expectedMessageGroups', 'only applies to FIFO queues');
    const { elevated, high, critical } = settings.backlogSteps;
    if (!(elevated.visibleMessages < high.visibleMessages && high.visibleMessages < critical.visibleMessages))
      issue('backlogSteps', 'visibleMessages must increase from elevated to high to critical');
    if (settings.alarmEmail && settings.alarmTopicArn)
      issue('alarmTopicArn', 'set either alarmEmail or alarmTopicArn, not both');
    const visibilityTimeout = 6 * settings.consumerTimeoutSeconds + settings.maxBatchingWindowSeconds;
    if (visibilityTimeout > 43_200)
      issue(
        'consumerTimeoutSeconds',
        `gives a visibility timeout of ${visibilityTimeout}s, above the SQS 43200s`,
      );
  });

/** Settings as written in cdk.json or props: everything optional. */
export type PipelineSettingsInput = z.input<typeof pipelineSettingsSchema>;
/** Settings after defaults and validation. */
export type PipelineSettings = z.output<typeof pipelineSettingsSchema>;

/** Context key of the settings object in cdk.json, and prefix of the per-setting keys. */
export const SETTINGS_CONTEXT_KEY = 'oncely';

/** Thrown when a setting is invalid; the message names every offending setting. */
export class PipelineSettingsError extends Error {
  /** Always `PipelineSettingsError`. */
  override readonly name = 'PipelineSettingsError';
}

/** Validates settings, naming each invalid one as `oncely.<setting>`. */
export function parsePipelineSettings(input: unknown): PipelineSettings {
  const parsed = pipelineSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [SETTINGS_CONTEXT_KEY, ...issue.path.map(String)].join('.');
    return keys.length > 0
      ? `${keys.map((key) => `${path}.${key}`).join(', ')}: unknown setting`
      : `${path}: ${issue.message}`;
  });
  throw new PipelineSettingsError(`Invalid Oncely settings:\n  ${lines.join('\n  ')}`);
}

/**
 * Collects settings from CDK context: the `oncely` object plus `oncely:<setting>` keys (command-line
 * values arrive as strings, so JSON-looking values are parsed: `-c oncely:maxReceiveCount=3`).
 */
export function settingsFromContext(
  tryGetContext: (key: string) => unknown,
  contextKeys: readonly string[],
): Record<string, unknown> {
  const base = tryGetContext(SETTINGS_CONTEXT_KEY);
  const settings: Record<string, unknown> =
    typeof base === 'object' && base !== null ? { ...(base as Record<string, unknown>) } : {};
  const prefix = `${SETTINGS_CONTEXT_KEY}:`;
  for (const key of contextKeys) {
    if (!key.startsWith(prefix)) continue;
    settings[key.slice(prefix.length)] = parseContextValue(tryGetContext(key));
  }
  return settings;
}

function parseContextValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
