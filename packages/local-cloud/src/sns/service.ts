/**
 * Local SNS over the AWS query protocol: topics, subscriptions (lambda, sqs, email, ...) and
 * Publish, which fans a message out to its lambda and sqs subscribers. Other protocols are
 * accepted and recorded, never contacted (the local cloud makes no outside calls).
 */
import { randomUUID } from 'node:crypto';
import type { DeliveryTracker, FunctionInvoker, QueueSender } from '../events/delivery.js';
import { dictionary, dictionaryFrom } from '../input-limits.js';
import {
  AwsError,
  DEFAULT_REGION,
  LOCAL_ACCOUNT_ID,
  type LocalService,
  type ServiceContext,
  type ServiceRequest,
  type ServiceResponse,
} from '../protocol.js';
import {
  element,
  mapElement,
  readQueryMap,
  requireParam,
  xmlErrorResponse,
  xmlResponse,
} from './query-xml.js';

export interface SnsMessageAttribute {
  readonly Type: string;
  readonly Value: string;
}

export interface Topic {
  readonly arn: string;
  readonly name: string;
  attributes: Record<string, string>;
}

export interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  attributes: Record<string, string>;
}

/** A message as it was published, kept (bounded) so tests and the CLI can see what email subscribers "got". */
export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly timestamp: string;
}

export interface PublishInput {
  readonly message: string;
  readonly subject?: string;
  readonly messageAttributes?: Readonly<Record<string, SnsMessageAttribute>>;
  readonly messageGroupId?: string;
  readonly messageDeduplicationId?: string;
}

export interface SnsServiceDependencies {
  readonly invoker: FunctionInvoker;
  readonly queues: QueueSender;
  readonly deliveries: DeliveryTracker;
}

interface SnsSnapshot {
  readonly topics: Topic[];
  readonly subscriptions: Subscription[];
}

const SUPPORTED_PROTOCOLS = new Set([
  'lambda',
  'sqs',
  'email',
  'email-json',
  'http',
  'https',
  'sms',
  'application',
  'firehose',
]);

/**
 * Publish limits (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): the message and
 * its attributes at most 256 KB (262,144 bytes); the subject under 100 ASCII characters without
 * line breaks or control characters; at most 10 message attributes
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html); group and
 * deduplication ids of 1-128 characters.
 */
const MAX_MESSAGE_BYTES = 262_144;
const MAX_MESSAGE_ATTRIBUTES = 10;
const SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,98}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const ATTRIBUTE_TYPE = /^(String|Number|Binary)(\.[^\s]{1,250})?$|^String\.Array$/;
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;

function invalidParameter(what: string): AwsError {
  return new AwsError('InvalidParameter', `Invalid parameter: ${what}`);
}

const QUERY_ACTIONS = new Set([
  'CreateTopic',
  'DeleteTopic',
  'ListTopics',
  'GetTopicAttributes',
  'SetTopicAttributes',
  'Subscribe',
  'Unsubscribe',
  'ListSubscriptions',
  'ListSubscriptionsByTopic',
  'GetSubscriptionAttributes',
  'SetSubscriptionAttributes',
  'Publish',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
]);

/** The local SNS; `publish` is also called in-process by CloudWatch alarm actions and EventBridge targets. */
export class SnsService implements LocalService {
  readonly signingNames = ['sns'];
  readonly targetPrefixes: readonly string[] = [];
  readonly queryActions = QUERY_ACTIONS;
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Map<string, Subscription>();
  /** Most recent published messages, newest last. */
  readonly published: PublishedMessage[] = [];

  constructor(
    private readonly context: ServiceContext,
    private readonly dependencies: SnsServiceDependencies,
  ) {}

  async dispatch(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      if (request.protocol !== 'query') {
        throw new AwsError('InvalidAction', 'SNS speaks the query protocol only.');
      }
      const params = request.input as URLSearchParams;
      const result = this.handle(request.operation, params, request.region);
      return xmlResponse(request.operation, request.requestId, result);
    } catch (error) {
      if (error instanceof AwsError) return xmlErrorResponse(error, request.requestId);
      throw error;
    }
  }

  private handle(operation: string, params: URLSearchParams, region: string): string {
    switch (operation) {
      case 'CreateTopic': {
        const topic = this.createTopic(
          requireParam(params, 'Name'),
          readQueryMap(params, 'Attributes'),
          region,
        );
        return element('TopicArn', topic.arn);
      }
      case 'DeleteTopic':
        this.deleteTopic(requireParam(params, 'TopicArn'));
        return '';
      case 'ListTopics':
        return `<Topics>${[...this.topics.values()]
          .map((topic) => `<member>${element('TopicArn', topic.arn)}</member>`)
          .join('')}</Topics>`;
      case 'GetTopicAttributes': {
        const topic = this.requireTopic(requireParam(params, 'TopicArn'));
        return mapElement('Attributes', this.topicAttributes(topic));
      }
      case 'SetTopicAttributes': {
        const topic = this.requireTopic(requireParam(params, 'TopicArn'));
        topic.attributes[attributeName(params)] = params.get('AttributeValue') ?? '';
        return '';
      }
      case 'Subscribe': {
        const subscription = this.subscribe(
          requireParam(params, 'TopicArn'),
          requireParam(params, 'Protocol'),
          params.get('Endpoint') ?? '',
          readQueryMap(params, 'Attributes'),
        );
        return element('SubscriptionArn', subscription.arn);
      }
      case 'Unsubscribe':
        this.subscriptions.delete(requireParam(params, 'SubscriptionArn'));
        return '';
      case 'ListSubscriptions':
        return this.renderSubscriptions([...this.subscriptions.values()]);
      case 'ListSubscriptionsByTopic': {
        const topic = this.requireTopic(requireParam(params, 'TopicArn'));
        return this.renderSubscriptions(this.subscriptionsOf(topic.arn));
      }
      case 'GetSubscriptionAttributes': {
        const subscription = this.requireSubscription(requireParam(params, 'SubscriptionArn'));
        return mapElement('Attributes', this.subscriptionAttributes(subscription));
      }
      case 'SetSubscriptionAttributes': {
        const subscription = this.requireSubscription(requireParam(params, 'SubscriptionArn'));
        subscription.attributes[attributeName(params)] = params.get('AttributeValue') ?? '';
        return '';
      }
      case 'Publish': {
        const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
        if (!topicArn)
          throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn is required');
        const message = requireParam(params, 'Message');
        let bytes = Buffer.byteLength(message, 'utf8');
        // Keyed by client-chosen names: `__proto__` is an attribute like any other.
        const messageAttributes = dictionary<SnsMessageAttribute>();
        for (let index = 1; ; index++) {
          const name = params.get(`MessageAttributes.entry.${index}.Name`);
          if (name === null) break;
          if (index > MAX_MESSAGE_ATTRIBUTES) {
            throw invalidParameter(
              `MessageAttributes: at most ${MAX_MESSAGE_ATTRIBUTES} message attributes are allowed`,
            );
          }
          const prefix = `MessageAttributes.entry.${index}.Value`;
          const type = params.get(`${prefix}.DataType`) ?? 'String';
          const value = params.get(`${prefix}.StringValue`) ?? params.get(`${prefix}.BinaryValue`) ?? '';
          if (!ATTRIBUTE_NAME.test(name))
            throw invalidParameter(`MessageAttributes name ${name.slice(0, 256)}`);
          if (!ATTRIBUTE_TYPE.test(type)) throw invalidParameter(`MessageAttributes type of ${name}`);
          messageAttributes[name] = { Type: type, Value: value };
          bytes += Buffer.byteLength(name) + Buffer.byteLength(type) + Buffer.byteLength(value);
        }
        if (bytes > MAX_MESSAGE_BYTES) {
          throw invalidParameter(
            `Message too long: ${bytes} bytes with its attributes, at most ${MAX_MESSAGE_BYTES}`,
          );
        }
        const subject = params.get('Subject');
        if (subject !== null && !SUBJECT.test(subject)) throw invalidParameter('Subject');
        const groupId = params.get('MessageGroupId');
        const dedupId = params.get('MessageDeduplicationId');
        if (groupId !== null && !FIFO_ID.test(groupId)) throw invalidParameter('MessageGroupId');
        if (dedupId !== null && !FIFO_ID.test(dedupId)) throw invalidParameter('MessageDeduplicationId');
        const messageId = this.publish(topicArn, {
          message,
          ...(subject ? { subject } : {}),
          messageAttributes,
          ...(groupId ? { messageGroupId: groupId } : {}),
          ...(dedupId ? { messageDeduplicationId: dedupId } : {}),
        });
        return element('MessageId', messageId);
      }
      case 'TagResource':
      case 'UntagResource':
        return '';
      case 'ListTagsForResource':
        return '<Tags></Tags>';
      default:
        throw new AwsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
    }
  }

  /** Idempotent, as on AWS: creating an existing topic returns its ARN. */
  createTopic(name: string, attributes: Record<string, string> = {}, region = DEFAULT_REGION): Topic {
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    }
    const arn = `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${name}`;
    const existing = this.topics.get(arn);
    if (existing) return existing;
    const topic: Topic = { arn, name, attributes: dictionaryFrom(Object.entries(attributes)) };
    this.topics.set(arn, topic);
    return topic;
  }

  deleteTopic(arn: string): void {
    this.topics.delete(arn);
    for (const subscription of this.subscriptionsOf(arn)) this.subscriptions.delete(subscription.arn);
  }

  subscribe(
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
  ): Subscription {
    this.requireTopic(topicArn);
    if (!SUPPORTED_PROTOCOLS.has(protocol)) {
      throw new AwsError(
        'InvalidParameter',
        `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`,
      );
    }
    if (!endpoint) throw new AwsError('InvalidParameter', 'Invalid parameter: Endpoint');
    // Subscribing the same endpoint twice returns the existing subscription, as on AWS.
    const existing = this.subscriptionsOf(topicArn).find(
      (subscription) => subscription.protocol === protocol && subscription.endpoint === endpoint,
    );
    if (existing) return existing;
    const subscription: Subscription = {
      arn: `${topicArn}:${randomUUID()}`,
      topicArn,
      protocol,
      endpoint,
      attributes: dictionaryFrom(Object.entries(attributes)),
    };
    this.subscriptions.set(subscription.arn, subscription);
    return subscription;
  }

  unsubscribe(subscriptionArn: string): void {
    this.subscriptions.delete(subscriptionArn);
  }

  listTopics(): readonly Topic[] {
    return [...this.topics.values()];
  }

  subscriptionsOf(topicArn: string): Subscription[] {
    return [...this.subscriptions.values()].filter((subscription) => subscription.topicArn === topicArn);
  }

  /** Publishes and starts delivery to every subscriber; returns the message id at once, like SNS. */
  publish(topicArn: string, input: PublishInput): string {
    const topic = this.requireTopic(topicArn);
    const messageId = randomUUID();
    const timestamp = new Date(this.context.clock.now()).toISOString();
    this.published.push({
      messageId,
      topicArn,
      message: input.message,
      timestamp,
      ...(input.subject ? { subject: input.subject } : {}),
    });
    if (this.published.length > 500) this.published.splice(0, this.published.length - 500);

    for (const subscription of this.subscriptionsOf(topic.arn)) {
      const notification = this.notification(subscription, messageId, timestamp, input);
      const { deliveries, invoker, queues } = this.dependencies;
      const source = `sns:${topic.name}`;
      if (subscription.protocol === 'lambda') {
        const event = {
          Records: [
            {
              EventSource: 'aws:sns',
              EventVersion: '1.0',
              EventSubscriptionArn: subscription.arn,
              Sns: notification,
            },
          ],
        };
        deliveries.run(source, subscription.endpoint, 'lambda', () =>
          invoker.invoke(subscription.endpoint, event),
        );
      } else if (subscription.protocol === 'sqs') {
        const raw = subscription.attributes.RawMessageDelivery === 'true';
        const body = raw ? input.message : JSON.stringify(notification);
        deliveries.run(source, subscription.endpoint, 'sqs', () =>
          queues.send(subscription.endpoint, body, {
            messageGroupId: input.messageGroupId ?? 'default',
            messageDeduplicationId: input.messageDeduplicationId ?? messageId,
          }),
        );
      } else {
        // Email, HTTP, SMS...: recorded as delivered, never sent anywhere.
        deliveries.run(
          source,
          subscription.endpoint,
          subscription.protocol.startsWith('email') ? 'email' : 'other',
          async () => {},
        );
      }
    }
    return messageId;
  }

  private notification(
    subscription: Subscription,
    messageId: string,
    timestamp: string,
    input: PublishInput,
  ): Record<string, unknown> {
    return {
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: subscription.topicArn,
      Subject: input.subject ?? null,
      Message: input.message,
      Timestamp: timestamp,
      SignatureVersion: '1',
      Signature: 'EXAMPLE',
      SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-local.pem',
      UnsubscribeUrl: `http://localhost/?Action=Unsubscribe&SubscriptionArn=${subscription.arn}`,
      MessageAttributes: input.messageAttributes ?? {},
    };
  }

  private renderSubscriptions(subscriptions: readonly Subscription[]): string {
    const members = subscriptions
      .map(
        (subscription) =>
          `<member>${element('SubscriptionArn', subscription.arn)}${element('Owner', LOCAL_ACCOUNT_ID)}` +
          `${element('Protocol', subscription.protocol)}${element('Endpoint', subscription.endpoint)}` +
          `${element('TopicArn', subscription.topicArn)}</member>`,
      )
      .join('');
    return `<Subscriptions>${members}</Subscriptions>`;
  }

  private topicAttributes(topic: Topic): Record<string, string> {
    const subscriptions = this.subscriptionsOf(topic.arn).length;
    return {
      TopicArn: topic.arn,
      Owner: LOCAL_ACCOUNT_ID,
      DisplayName: '',
      SubscriptionsConfirmed: String(subscriptions),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      ...(topic.name.endsWith('.fifo') ? { FifoTopic: 'true' } : {}),
      ...topic.attributes,
    };
  }

  private subscriptionAttributes(subscription: Subscription): Record<string, string> {
    return {
      SubscriptionArn: subscription.arn,
      TopicArn: subscription.topicArn,
      Protocol: subscription.protocol,
      Endpoint: subscription.endpoint,
      Owner: LOCAL_ACCOUNT_ID,
      PendingConfirmation: 'false',
      ConfirmationWasAuthenticated: 'true',
      RawMessageDelivery: 'false',
      ...subscription.attributes,
    };
  }

  private requireTopic(arn: string): Topic {
    if (arn.length > 1024) throw invalidParameter('TopicArn');
    const topic = this.topics.get(arn);
    if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return topic;
  }

  private requireSubscription(arn: string): Subscription {
    const subscription = this.subscriptions.get(arn);
    if (!subscription) throw new AwsError('NotFound', 'Subscription does not exist', 404);
    return subscription;
  }

  snapshot(): SnsSnapshot {
    return { topics: [...this.topics.values()], subscriptions: [...this.subscriptions.values()] };
  }

  restore(state: unknown): void {
    const snapshot = state as Partial<SnsSnapshot>;
    this.topics.clear();
    this.subscriptions.clear();
    // Attributes come back from JSON: rebuilt as prototype-free maps.
    for (const topic of snapshot.topics ?? []) {
      this.topics.set(topic.arn, {
        ...topic,
        attributes: dictionaryFrom(Object.entries(topic.attributes ?? {})),
      });
    }
    for (const subscription of snapshot.subscriptions ?? []) {
      this.subscriptions.set(subscription.arn, {
        ...subscription,
        attributes: dictionaryFrom(Object.entries(subscription.attributes ?? {})),
      });
    }
  }
}

/** AttributeName of SetTopicAttributes / SetSubscriptionAttributes: a name, not a path or a blob. */
function attributeName(params: URLSearchParams): string {
  const name = requireParam(params, 'AttributeName');
  if (!/^[A-Za-z0-9_.:-]{1,256}$/.test(name)) throw invalidParameter('AttributeName');
  return name;
}
