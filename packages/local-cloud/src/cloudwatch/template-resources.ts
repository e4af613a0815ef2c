/**
 * CloudFormation resource handlers of the monitoring services, for the template deployer:
 * AWS::CloudWatch::Alarm, AWS::CloudWatch::Dashboard, AWS::Events::Rule (targets inline),
 * AWS::SNS::Topic, AWS::SNS::Subscription and AWS::SNS::TopicPolicy. They call the services
 * in-process; what `Ref` and `Fn::GetAtt` return follows the CloudFormation reference.
 */
import type {
  ProvisionedResource,
  ResourceHandler,
  ResourceHandlerContext,
} from '../deploy/resource-handlers.js';
import type { RuleTarget } from '../events/service.js';
import type { MetricAlarmConfiguration, MetricDataQuery } from './alarms.js';
import type { MonitoringServices } from './monitoring.js';

type Properties = Record<string, unknown>;

const ALARM_FIELDS_WE_EVALUATE = new Set([
  'AlarmName',
  'AlarmDescription',
  'ActionsEnabled',
  'OKActions',
  'AlarmActions',
  'InsufficientDataActions',
  'MetricName',
  'Namespace',
  'Statistic',
  'ExtendedStatistic',
  'Dimensions',
  'Period',
  'Unit',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'Metrics',
]);

function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** AWS::CloudWatch::Alarm. Ref: the alarm name; GetAtt Arn. */
export async function createAlarmFromTemplate(
  services: MonitoringServices,
  properties: Properties,
  context: ResourceHandlerContext,
): Promise<ProvisionedResource> {
  const name = typeof properties.AlarmName === 'string' ? properties.AlarmName : context.generateName(255);
  for (const key of Object.keys(properties)) {
    if (!ALARM_FIELDS_WE_EVALUATE.has(key) && key !== 'Tags' && key !== 'EvaluateLowSampleCountPercentile') {
      context.warn(`${context.logicalId}: alarm property ${key} is ignored by the local CloudWatch`);
    }
  }
  const metrics = Array.isArray(properties.Metrics)
    ? (properties.Metrics as Properties[]).map(
        (query): MetricDataQuery => ({
          ...(query as unknown as MetricDataQuery),
          ...(query.MetricStat
            ? {
                MetricStat: {
                  ...(query.MetricStat as NonNullable<MetricDataQuery['MetricStat']>),
                  Period: Number((query.MetricStat as Properties).Period),
                },
              }
            : {}),
        }),
      )
    : undefined;
  const configuration: MetricAlarmConfiguration = {
    AlarmName: name,
    EvaluationPeriods: Number(properties.EvaluationPeriods),
    ComparisonOperator: String(properties.ComparisonOperator),
    ...(typeof properties.AlarmDescription === 'string'
      ? { AlarmDescription: properties.AlarmDescription }
      : {}),
    ...(properties.ActionsEnabled !== undefined
      ? { ActionsEnabled: properties.ActionsEnabled !== false && properties.ActionsEnabled !== 'false' }
      : {}),
    ...(stringArray(properties.OKActions) ? { OKActions: stringArray(properties.OKActions)! } : {}),
    ...(stringArray(properties.AlarmActions) ? { AlarmActions: stringArray(properties.AlarmActions)! } : {}),
    ...(stringArray(properties.InsufficientDataActions)
      ? { InsufficientDataActions: stringArray(properties.InsufficientDataActions)! }
      : {}),
    ...(typeof properties.MetricName === 'string' ? { MetricName: properties.MetricName } : {}),
    ...(typeof properties.Namespace === 'string' ? { Namespace: properties.Namespace } : {}),
    ...(typeof properties.Statistic === 'string' ? { Statistic: properties.Statistic } : {}),
    ...(typeof properties.ExtendedStatistic === 'string'
      ? { ExtendedStatistic: properties.ExtendedStatistic }
      : {}),
    ...(Array.isArray(properties.Dimensions)
      ? {
          Dimensions: (properties.Dimensions as Properties[]).map((d) => ({
            Name: String(d.Name),
            Value: String(d.Value),
          })),
        }
      : {}),
    ...(optionalNumber(properties.Period) !== undefined
      ? { Period: optionalNumber(properties.Period)! }
      : {}),
    ...(typeof properties.Unit === 'string' ? { Unit: properties.Unit } : {}),
    ...(optionalNumber(properties.DatapointsToAlarm) !== undefined
      ? { DatapointsToAlarm: optionalNumber(properties.DatapointsToAlarm)! }
      : {}),
    ...(optionalNumber(properties.Threshold) !== undefined
      ? { Threshold: optionalNumber(properties.Threshold)! }
      : {}),
    ...(typeof properties.TreatMissingData === 'string'
      ? { TreatMissingData: properties.TreatMissingData }
      : {}),
    ...(metrics ? { Metrics: metrics } : {}),
  };
  const alarm = services.cloudwatch.alarms.put(configuration, context.region);
  return { physicalId: name, attributes: { Arn: alarm.arn } };
}

/** AWS::CloudWatch::Dashboard. Ref: the dashboard name. */
export async function createDashboardFromTemplate(
  services: MonitoringServices,
  properties: Properties,
  context: ResourceHandlerContext,
): Promise<ProvisionedResource> {
  const name =
    typeof properties.DashboardName === 'string' ? properties.DashboardName : context.generateName(255);
  const body =
    typeof properties.DashboardBody === 'string'
      ? properties.DashboardBody
      : JSON.stringify(properties.DashboardBody ?? {});
  services.cloudwatch.putDashboard({ DashboardName: name, DashboardBody: body });
  return { physicalId: name };
}

/** AWS::Events::Rule with its inline Targets. Ref: the rule name; GetAtt Arn. */
export async function createRuleFromTemplate(
  services: MonitoringServices,
  properties: Properties,
  context: ResourceHandlerContext,
): Promise<ProvisionedResource> {
  const name = typeof properties.Name === 'string' ? properties.Name : context.generateName(64);
  const eventBusName = typeof properties.EventBusName === 'string' ? properties.EventBusName : undefined;
  const pattern = properties.EventPattern;
  const rule = services.events.putRule({
    Name: name,
    region: context.region,
    ...(eventBusName ? { EventBusName: eventBusName } : {}),
    ...(typeof properties.ScheduleExpression === 'string'
      ? { ScheduleExpression: properties.ScheduleExpression }
      : {}),
    ...(pattern !== undefined
      ? { EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern) }
      : {}),
    ...(typeof properties.State === 'string' ? { State: properties.State } : {}),
    ...(typeof properties.Description === 'string' ? { Description: properties.Description } : {}),
    ...(typeof properties.RoleArn === 'string' ? { RoleArn: properties.RoleArn } : {}),
  });
  const targets = (Array.isArray(properties.Targets) ? properties.Targets : []) as RuleTarget[];
  for (const target of targets) {
    if ((target as { InputTransformer?: unknown }).InputTransformer) {
      context.warn(
        `${context.logicalId}: target ${target.Id} uses InputTransformer; the local cloud sends the whole event`,
      );
    }
  }
  if (targets.length > 0) services.events.putTargets(eventBusName, name, targets);
  return { physicalId: name, attributes: { Arn: rule.arn } };
}

/** AWS::SNS::Topic (inline Subscription list included). Ref: the topic ARN; GetAtt TopicArn, TopicName. */
export async function createTopicFromTemplate(
  services: MonitoringServices,
  properties: Properties,
  context: ResourceHandlerContext,
): Promise<ProvisionedResource> {
  const fifo = properties.FifoTopic === true || properties.FifoTopic === 'true';
  const name =
    typeof properties.TopicName === 'string'
      ? properties.TopicName
      : context.generateName(256, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  if (typeof properties.DisplayName === 'string') attributes.DisplayName = properties.DisplayName;
  if (typeof properties.KmsMasterKeyId === 'string') attributes.KmsMasterKeyId = properties.KmsMasterKeyId;
  if (fifo) attributes.FifoTopic = 'true';
  const topic = services.sns.createTopic(name, attributes, context.region);
  for (const subscription of (Array.isArray(properties.Subscription)
    ? properties.Subscription
    : []) as Properties[]) {
    services.sns.subscribe(topic.arn, String(subscription.Protocol), String(subscription.Endpoint));
  }
  return { physicalId: topic.arn, attributes: { TopicArn: topic.arn, TopicName: topic.name } };
}

/** AWS::SNS::Subscription. Ref: the subscription ARN. */
export async function createSubscriptionFromTemplate(
  services: MonitoringServices,
  properties: Properties,
): Promise<ProvisionedResource> {
  const attributes: Record<string, string> = {};
  for (const key of ['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy']) {
    const value = properties[key];
    if (value !== undefined) attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const subscription = services.sns.subscribe(
    String(properties.TopicArn),
    String(properties.Protocol),
    String(properties.Endpoint),
    attributes,
  );
  return { physicalId: subscription.arn, attributes: { Arn: subscription.arn } };
}

/** The handlers, keyed by resource type, as the deployer looks them up on a service (`resourceHandlers`). */
export function monitoringResourceHandlers(services: MonitoringServices): Record<string, ResourceHandler> {
  const bind = (
    create: (
      services: MonitoringServices,
      properties: Properties,
      context: ResourceHandlerContext,
    ) => Promise<ProvisionedResource>,
  ): ResourceHandler => ({
    create: (properties, context) => create(services, properties, context),
  });
  return {
    'AWS::CloudWatch::Alarm': bind(createAlarmFromTemplate),
    'AWS::CloudWatch::Dashboard': bind(createDashboardFromTemplate),
    'AWS::Events::Rule': bind(createRuleFromTemplate),
    'AWS::SNS::Topic': bind(createTopicFromTemplate),
    'AWS::SNS::Subscription': bind((s, p) => createSubscriptionFromTemplate(s, p)),
    // Permissions are not enforced locally; the policy is accepted and has no effect.
    'AWS::SNS::TopicPolicy': {
      create: async (_properties, context) => ({ physicalId: context.generateName(64), status: 'accepted' }),
    },
  };
}
