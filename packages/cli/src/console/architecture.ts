/**
 * A deployed stack drawn from its own template: the queues, dead-letter queues, event source
 * mappings, functions, tables, alarms, schedules and topics it defines, with their key settings,
 * and what connects them (a redrive policy, a mapping, a rule's target, an alarm's action, a
 * function's environment naming a table or queue). IAM, log groups and permissions are left out:
 * they connect everything to everything and say nothing about the flow of messages.
 */

/** What the console needs of a CloudFormation template. */
export interface TemplateDocument {
  readonly Resources?: Record<string, TemplateResource>;
}

interface TemplateResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
}

export type NodeKind = 'queue' | 'function' | 'table' | 'alarm' | 'rule' | 'schedule' | 'topic' | 'dashboard';

export interface ArchitectureNode {
  /** The logical id. */
  readonly id: string;
  readonly kind: NodeKind;
  /** The logical id without the hash CDK appends. */
  readonly label: string;
  readonly type: string;
  /** The deployed name, URL or id (Ref), when the stack has it. */
  readonly physicalId: string | undefined;
  /** Key settings, in the order shown: [name, value]. */
  readonly settings: ReadonlyArray<readonly [string, string]>;
  /** A queue another queue's redrive policy names. */
  readonly deadLetter?: boolean;
}

export type EdgeKind =
  | 'redrive'
  | 'mapping'
  | 'target'
  | 'alarm-action'
  | 'alarm-event'
  | 'uses'
  | 'subscription';

export interface ArchitectureEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label?: string;
}

/** An event source mapping: the edge from a queue to its function, with its live id. */
export interface MappingSummary {
  readonly id: string;
  readonly uuid: string | undefined;
  readonly queue: string | undefined;
  readonly function: string | undefined;
  readonly batchSize: number | undefined;
  readonly maximumConcurrency: number | undefined;
  readonly settings: ReadonlyArray<readonly [string, string]>;
}

export interface Architecture {
  readonly nodes: readonly ArchitectureNode[];
  readonly edges: readonly ArchitectureEdge[];
  readonly mappings: readonly MappingSummary[];
  /** Resource types in the template the drawing leaves out, with their counts. */
  readonly omitted: Readonly<Record<string, number>>;
}

const KINDS: Readonly<Record<string, NodeKind>> = {
  'AWS::SQS::Queue': 'queue',
  'AWS::Lambda::Function': 'function',
  'AWS::DynamoDB::Table': 'table',
  'AWS::DynamoDB::GlobalTable': 'table',
  'AWS::CloudWatch::Alarm': 'alarm',
  'AWS::Events::Rule': 'rule',
  'AWS::Scheduler::Schedule': 'schedule',
  'AWS::SNS::Topic': 'topic',
  'AWS::CloudWatch::Dashboard': 'dashboard',
};

/** Draws the template; `physicalIds` maps logical ids to what the stack deployed. */
export function architectureOf(
  template: TemplateDocument,
  physicalIds: ReadonlyMap<string, string> = new Map(),
): Architecture {
  const resources = template.Resources ?? {};
  const nodes: ArchitectureNode[] = [];
  const edges: ArchitectureEdge[] = [];
  const mappings: MappingSummary[] = [];
  const omitted: Record<string, number> = {};
  const ids = new Set(Object.keys(resources));
  const kindOf = (id: string) => KINDS[resources[id]?.Type ?? ''];
  const deadLetters = new Set<string>();

  for (const [id, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    const type = resource.Type ?? '';
    const kind = KINDS[type];
    if (type === 'AWS::Lambda::EventSourceMapping') {
      const queue = firstRef(properties.EventSourceArn, ids);
      const fn = firstRef(properties.FunctionName, ids);
      const scaling = record(properties.ScalingConfig);
      const summary: MappingSummary = {
        id,
        uuid: physicalIds.get(id),
        queue,
        function: fn,
        batchSize: numberOf(properties.BatchSize),
        maximumConcurrency: numberOf(scaling.MaximumConcurrency),
        settings: compact([
          ['batch size', text(properties.BatchSize ?? 10)],
          ['maximum concurrency', text(scaling.MaximumConcurrency ?? 'unbounded')],
          ['batching window', seconds(properties.MaximumBatchingWindowInSeconds)],
          [
            'partial batch responses',
            Array.isArray(properties.FunctionResponseTypes) &&
            properties.FunctionResponseTypes.includes('ReportBatchItemFailures')
              ? 'yes'
              : 'no',
          ],
          ['enabled', properties.Enabled === false ? 'no' : undefined],
        ]),
      };
      mappings.push(summary);
      if (queue && fn) edges.push({ from: queue, to: fn, kind: 'mapping', label: mappingLabel(summary) });
      continue;
    }
    if (type === 'AWS::SNS::Subscription') {
      const topic = firstRef(properties.TopicArn, ids);
      const endpoint = firstRef(properties.Endpoint, ids);
      if (topic && endpoint) edges.push({ from: topic, to: endpoint, kind: 'subscription' });
      continue;
    }
    if (!kind) {
      omitted[type] = (omitted[type] ?? 0) + 1;
      continue;
    }
    nodes.push({
      id,
      kind,
      label: labelOf(id),
      type,
      physicalId: physicalIds.get(id),
      settings: settingsOf(kind, properties),
    });
    switch (kind) {
      case 'queue': {
        const redrive = record(properties.RedrivePolicy);
        const target = firstRef(redrive.deadLetterTargetArn, ids);
        if (target) {
          deadLetters.add(target);
          const receives = redrive.maxReceiveCount;
          edges.push({
            from: id,
            to: target,
            kind: 'redrive',
            ...(receives !== undefined ? { label: `after ${text(receives)} receives` } : {}),
          });
        }
        break;
      }
      case 'rule':
      case 'schedule': {
        const targets =
          kind === 'rule' ? list(properties.Targets) : [record(properties.Target)].filter(hasKeys);
        for (const target of targets) {
          const to = firstRef(record(target).Arn, ids);
          if (to) edges.push({ from: id, to, kind: 'target' });
        }
        for (const alarm of refsIn(properties.EventPattern, ids)) {
          if (kindOf(alarm) === 'alarm') edges.push({ from: alarm, to: id, kind: 'alarm-event' });
        }
        break;
      }
      case 'alarm': {
        const actions = [
          ...list(properties.AlarmActions),
          ...list(properties.OKActions),
          ...list(properties.InsufficientDataActions),
        ];
        for (const to of new Set(actions.flatMap((action) => refsIn(action, ids)))) {
          edges.push({ from: id, to, kind: 'alarm-action' });
        }
        break;
      }
      case 'function': {
        const variables = record(record(properties.Environment).Variables);
        const used = new Set<string>();
        for (const value of Object.values(variables)) {
          for (const ref of refsIn(value, ids)) {
            const target = kindOf(ref);
            if ((target === 'table' || target === 'queue' || target === 'topic') && !used.has(ref)) {
              used.add(ref);
              edges.push({ from: id, to: ref, kind: 'uses' });
            }
          }
        }
        break;
      }
    }
  }
  return {
    nodes: nodes.map((node) => (deadLetters.has(node.id) ? { ...node, deadLetter: true } : node)),
    edges,
    mappings,
    omitted,
  };
}

function mappingLabel(mapping: MappingSummary): string {
  return `batch ${mapping.batchSize ?? 10} · max ${mapping.maximumConcurrency ?? '∞'}`;
}

function settingsOf(kind: NodeKind, properties: Record<string, unknown>): Array<readonly [string, string]> {
  switch (kind) {
    case 'queue': {
      const redrive = record(properties.RedrivePolicy);
      return compact([
        ['type', properties.FifoQueue === true || properties.FifoQueue === 'true' ? 'FIFO' : 'standard'],
        ['name', typeof properties.QueueName === 'string' ? properties.QueueName : undefined],
        [
          'maxReceiveCount',
          redrive.maxReceiveCount === undefined ? undefined : text(redrive.maxReceiveCount),
        ],
        ['visibility timeout', seconds(properties.VisibilityTimeout ?? 30)],
        ['retention', seconds(properties.MessageRetentionPeriod ?? 345_600)],
        ['delay', seconds(properties.DelaySeconds)],
        ['deduplication', properties.ContentBasedDeduplication === true ? 'content-based' : undefined],
        [
          'encryption',
          properties.KmsMasterKeyId !== undefined
            ? 'KMS'
            : properties.SqsManagedSseEnabled === false
              ? 'none'
              : 'SQS-managed',
        ],
      ]);
    }
    case 'function':
      return compact([
        ['runtime', text(properties.Runtime)],
        ['architecture', list(properties.Architectures).map(text).join(', ') || 'x86_64'],
        ['memory', properties.MemorySize === undefined ? '128 MB' : `${text(properties.MemorySize)} MB`],
        ['timeout', seconds(properties.Timeout ?? 3)],
        ['handler', typeof properties.Handler === 'string' ? properties.Handler : undefined],
        [
          'reserved concurrency',
          properties.ReservedConcurrentExecutions === undefined
            ? undefined
            : text(properties.ReservedConcurrentExecutions),
        ],
      ]);
    case 'table': {
      const keys = list(properties.KeySchema)
        .map(
          (key) =>
            `${text(record(key).AttributeName)} (${record(key).KeyType === 'RANGE' ? 'sort' : 'partition'})`,
        )
        .join(', ');
      const ttl = record(properties.TimeToLiveSpecification);
      const indexes = list(properties.GlobalSecondaryIndexes)
        .map((index) => text(record(index).IndexName))
        .join(', ');
      return compact([
        ['keys', keys || undefined],
        ['billing', properties.BillingMode === 'PAY_PER_REQUEST' ? 'on demand' : 'provisioned'],
        ['indexes', indexes || undefined],
        ['TTL', ttl.Enabled === true || ttl.Enabled === 'true' ? text(ttl.AttributeName) : undefined],
        [
          'point-in-time recovery',
          record(properties.PointInTimeRecoverySpecification).PointInTimeRecoveryEnabled === true
            ? 'on'
            : undefined,
        ],
        ['stream', record(properties.StreamSpecification).StreamViewType ? 'on' : undefined],
      ]);
    }
    case 'alarm': {
      const comparison: Record<string, string> = {
        GreaterThanOrEqualToThreshold: '>=',
        GreaterThanThreshold: '>',
        LessThanThreshold: '<',
        LessThanOrEqualToThreshold: '<=',
      };
      const metric = properties.MetricName
        ? `${text(properties.Namespace)} ${text(properties.MetricName)}`
        : list(properties.Metrics).length
          ? 'metric math'
          : undefined;
      return compact([
        ['metric', metric],
        [
          'condition',
          `${text(properties.Statistic ?? properties.ExtendedStatistic ?? '')} ${comparison[text(properties.ComparisonOperator)] ?? text(properties.ComparisonOperator)} ${text(properties.Threshold)}`.trim(),
        ],
        [
          'periods',
          `${text(properties.EvaluationPeriods ?? 1)} × ${seconds(properties.Period ?? 60) ?? '60 s'}`,
        ],
        ['missing data', properties.TreatMissingData ? text(properties.TreatMissingData) : undefined],
      ]);
    }
    case 'rule':
    case 'schedule': {
      const pattern = record(properties.EventPattern);
      return compact([
        [
          'schedule',
          typeof properties.ScheduleExpression === 'string' ? properties.ScheduleExpression : undefined,
        ],
        [
          'events',
          Object.keys(pattern).length
            ? list(pattern['detail-type']).map(text).join(', ') || list(pattern.source).map(text).join(', ')
            : undefined,
        ],
        ['state', properties.State === 'DISABLED' ? 'disabled' : undefined],
        ['description', typeof properties.Description === 'string' ? properties.Description : undefined],
      ]);
    }
    case 'topic':
      return compact([
        ['name', typeof properties.TopicName === 'string' ? properties.TopicName : undefined],
        ['type', properties.FifoTopic === true ? 'FIFO' : undefined],
      ]);
    case 'dashboard':
      return [];
  }
}

/** `PipelineQueue723C0BA4` -> `PipelineQueue`. */
export function labelOf(logicalId: string): string {
  return logicalId.replace(/(?<=.)[0-9A-F]{8}$/, '');
}

/** The logical ids a value refers to through Ref, Fn::GetAtt or Fn::Sub. */
export function refsIn(value: unknown, ids: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const visit = (node: unknown, depth: number) => {
    if (depth > 32 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const object = node as Record<string, unknown>;
    const ref = object.Ref;
    if (typeof ref === 'string' && ids.has(ref)) found.push(ref);
    const getAtt = object['Fn::GetAtt'];
    const target = Array.isArray(getAtt)
      ? getAtt[0]
      : typeof getAtt === 'string'
        ? getAtt.split('.')[0]
        : undefined;
    if (typeof target === 'string' && ids.has(target)) found.push(target);
    const sub = object['Fn::Sub'];
    const template = Array.isArray(sub) ? sub[0] : sub;
    if (typeof template === 'string') {
      for (const match of template.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) {
        if (ids.has(match[1]!)) found.push(match[1]!);
      }
    }
    for (const [key, child] of Object.entries(object)) {
      if (key !== 'Ref' && key !== 'Fn::GetAtt') visit(child, depth + 1);
    }
  };
  visit(value, 0);
  return found;
}

function firstRef(value: unknown, ids: ReadonlySet<string>): string | undefined {
  return refsIn(value, ids)[0];
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function hasKeys(value: Record<string, unknown>): boolean {
  return Object.keys(value).length > 0;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

/** A setting for people; an unresolved intrinsic shows as `(from the stack)`. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return '(from the stack)';
  return String(value);
}

function seconds(value: unknown): string | undefined {
  const number = numberOf(value);
  if (number === undefined) return value === undefined ? undefined : text(value);
  if (number >= 86_400 && number % 86_400 === 0) return `${number / 86_400} d`;
  if (number >= 3600 && number % 3600 === 0) return `${number / 3600} h`;
  if (number >= 60 && number % 60 === 0) return `${number / 60} min`;
  return `${number} s`;
}

function compact(
  entries: ReadonlyArray<readonly [string, string | undefined]>,
): Array<readonly [string, string]> {
  return entries.filter(
    (entry): entry is readonly [string, string] => entry[1] !== undefined && entry[1] !== '',
  );
}
