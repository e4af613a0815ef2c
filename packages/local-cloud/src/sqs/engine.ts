/**
 * The SQS operations over JSON-shaped input and output (the JSON protocol's shapes); the query
 * protocol is translated to and from the same shapes in query-protocol.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AwsError, type StateJournal } from '../protocol.js';
import { type MessageAttributeValue, md5Hex, md5OfAttributes } from './digests.js';
import {
  invalidParameter,
  missingParameter,
  queryErrorCode,
  queueDoesNotExist,
  receiptHandleInvalid,
} from './errors.js';
import type { DeliveryRecord, SqsRecord } from './journal.js';
import { MessageMoveTasks, type MoveTaskState } from './move-tasks.js';
import { MessageStore, type StoredMessage } from './queue.js';
import {
  COMPUTED_ATTRIBUTES,
  canonicalValue,
  FIFO_DEFAULTS,
  parseRedriveAllowPolicy,
  parseRedrivePolicy,
  type RedrivePolicy,
  STANDARD_DEFAULTS,
  validateAttribute,
} from './queue-attributes.js';
import {
  entryList,
  type Input,
  optionalInteger,
  optionalString,
  requiredString,
  setOwn,
  stringList,
  stringMap,
  validateBatchIds,
  validateBody,
  validateFifoId,
  validateMessageAttributes,
} from './validation.js';

/** Who is calling and how: queue URLs are built from the host the client used. */
export interface RequestScope {
  readonly host: string;
  readonly region: string;
  readonly accountId: string;
  /** The request's `X-Amzn-Trace-Id` header, which SendMessage(Batch) keeps as AWSTraceHeader. */
  readonly traceHeader?: string;
}

export type Output = Record<string, unknown>;

export interface DedupEntry {
  readonly messageId: string;
  readonly sequenceNumber: string | undefined;
  readonly at: number;
}

interface Queue {
  readonly name: string;
  readonly arn: string;
  readonly accountId: string;
  readonly fifo: boolean;
  readonly createdAt: number;
  modifiedAt: number;
  readonly attributes: Record<string, string>;
  tags: Record<string, string>;
  readonly store: MessageStore;
  /** Insertion-ordered, so expired entries are pruned from the front. */
  readonly dedup: Map<string, DedupEntry>;
  sequence: number;
  lastPurgeAt: number | undefined;
  lastSweepAt: number;
  redrive: RedrivePolicy | undefined;
  /** FIFO receive attempts by ReceiveRequestAttemptId, insertion-ordered for pruning. */
  readonly attempts: Map<string, ReceiveAttempt>;
  /** The DeduplicationScope deduplication follows: the one the queue was created with (see QueueDefinition). */
  readonly dedupScope: string | undefined;
}

interface ReceiveAttempt {
  readonly at: number;
  readonly deliveries: Array<{ readonly message: StoredMessage; readonly receipt: string; version: number }>;
}

/** What a queue is made from: given at CreateQueue, and persisted with it. */
export interface QueueDefinition {
  name: string;
  arn: string;
  accountId: string;
  fifo: boolean;
  createdAt: number;
  modifiedAt: number;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /**
   * The DeduplicationScope at creation. A later SetQueueAttributes changes the attribute AWS reports
   * but, as recorded on AWS (test_fifo_change_to_high_throughput_after_creation and
   * ..._regular_throughput_..., LocalStack's AWS-validated tests), not how deduplication behaves.
   * Absent in state saved before it existed: the attribute then stands in.
   */
  dedupScope?: string;
}

/** Plain-JSON state for `--data-dir`. */
export interface SqsSnapshot {
  readonly queues: Array<
    QueueDefinition & {
      messages: StoredMessage[];
      dedup: Array<[string, DedupEntry]>;
      sequence: number;
      lastPurgeAt: number | undefined;
    }
  >;
  readonly deletedAt: Array<[string, number]>;
  readonly moveTasks: MoveTaskState[];
}

const DEDUP_WINDOW_MS = 5 * 60 * 1000;
const QUEUE_RECREATE_DELAY_MS = 60 * 1000;
const PURGE_INTERVAL_MS = 60 * 1000;
const MAX_VISIBILITY_MS = 12 * 60 * 60 * 1000;
/** Sum of the bodies and attributes of one SendMessageBatch (API_SendMessageBatch.html). */
const MAX_BATCH_BYTES = 1048576;
const SEQUENCE_BASE = 18_000_000_000_000_000_000n;
const SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;

/** One queue's numbers for the local CloudWatch's AWS/SQS metrics; counters are cumulative. */
export interface QueueStatistics {
  readonly queueName: string;
  readonly visible: number;
  readonly notVisible: number;
  readonly delayed: number;
  readonly oldestMessageAgeSeconds: number;
  readonly sent: number;
  readonly received: number;
  readonly deleted: number;
}

type ActivityCounter = 'sent' | 'received' | 'deleted';

export class SqsEngine {
  private readonly queues = new Map<string, Queue>();
  /** Cumulative per-queue activity, read by CloudWatch (NumberOfMessagesSent, ...). */
  private readonly activity = new WeakMap<Queue, Record<ActivityCounter, number>>();
  private readonly deletedAt = new Map<string, number>();
  private readonly moveTasks: MessageMoveTasks;
  private closed = false;
  /** Where every change's effect is recorded for --data-dir (journal.ts); none in memory-only mode. */
  private journal: StateJournal | undefined;

  constructor(private readonly clock: Clock) {
    this.moveTasks = new MessageMoveTasks(
      {
        queueByArn: (arn) => this.queueByArn(arn),
        isDeadLetterQueue: (arn) =>
          [...this.queues.values()].some((queue) => queue.redrive?.deadLetterTargetArn === arn),
      },
      clock,
      (record) => this.log(record),
    );
  }

  /** Starts (or stops) recording changes; see journal.ts. */
  attachJournal(journal: StateJournal | undefined): void {
    this.journal = journal;
  }

  private log(record: SqsRecord): void {
    this.journal?.record(record);
  }

  private logDefinition(queue: Queue): void {
    if (!this.journal) return;
    const { name, arn, accountId, fifo, createdAt, modifiedAt, attributes, tags, dedupScope } = queue;
    this.log({
      t: 'queue',
      queue: {
        name,
        arn,
        accountId,
        fifo,
        createdAt,
        modifiedAt,
        attributes,
        tags,
        ...(dedupScope !== undefined ? { dedupScope } : {}),
      },
    });
  }

  // --- queues -------------------------------------------------------------------------------

  createQueue(input: Input, scope: RequestScope): Output {
    const name = requiredString(input, 'QueueName');
    const given = stringMap(input, 'Attributes');
    const tags = stringMap(input, 'tags');
    const fifoName = name.endsWith('.fifo');
    const base = fifoName ? name.slice(0, -5) : name;
    if (!/^[A-Za-z0-9_-]+$/.test(base) || base.length > (fifoName ? 75 : 80)) {
      throw invalidParameter(
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (queue name ${name}).`,
      );
    }
    const fifo = given.FifoQueue?.toLowerCase() === 'true';
    if (fifo !== fifoName) {
      throw new AwsError(
        'InvalidParameterValue',
        fifo
          ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
          : 'Can only include alphanumeric characters, hyphens, or underscores. A queue name ending in .fifo needs FifoQueue=true.',
      );
    }
    for (const [key, value] of Object.entries(given)) validateAttribute(key, value, fifo, true);
    checkEncryption(given);
    this.validateRedrive(given, name, fifo, scope);
    const attributes = normaliseAttributes(given);
    const existing = this.queues.get(name);
    if (existing) {
      for (const [key, value] of Object.entries(attributes)) {
        if ((existing.attributes[key] ?? (fifo ? '' : STANDARD_DEFAULTS[key]) ?? '') !== value) {
          throw new AwsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${key}`,
          );
        }
      }
      return { QueueUrl: this.url(existing, scope) };
    }
    const deletedAt = this.deletedAt.get(name);
    if (deletedAt !== undefined && this.clock.now() - deletedAt < QUEUE_RECREATE_DELAY_MS) {
      throw new AwsError(
        'QueueDeletedRecently',
        'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      );
    }
    this.deletedAt.delete(name);
    if (Object.keys(tags).length > 50) throw invalidParameter('Too many tags; a queue can have at most 50.');
    const now = this.clock.now();
    const initial = { ...(fifo ? FIFO_DEFAULTS : STANDARD_DEFAULTS), ...attributes };
    switchEncryption(given, initial);
    const queue = this.makeQueue({
      name,
      arn: `arn:aws:sqs:${scope.region}:${scope.accountId}:${name}`,
      accountId: scope.accountId,
      fifo,
      createdAt: now,
      modifiedAt: now,
      attributes: initial,
      tags: { ...tags },
      ...(fifo ? { dedupScope: initial.DeduplicationScope } : {}),
    });
    this.queues.set(name, queue);
    this.logDefinition(queue);
    return { QueueUrl: this.url(queue, scope) };
  }

  getQueueUrl(input: Input, scope: RequestScope): Output {
    const queue = this.queues.get(requiredString(input, 'QueueName'));
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: this.url(queue, scope) };
  }

  listQueues(input: Input, scope: RequestScope): Output {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const max = optionalInteger(input, 'MaxResults', 1, 1000);
    const after = this.decodeToken(optionalString(input, 'NextToken'));
    const names = [...this.queues.keys()].filter((name) => name.startsWith(prefix) && name > after).sort();
    const page = names.slice(0, max ?? 1000);
    const output: Output = {};
    if (page.length > 0) output.QueueUrls = page.map((name) => this.url(this.queues.get(name)!, scope));
    if (max !== undefined && names.length > page.length) {
      output.NextToken = Buffer.from(JSON.stringify({ after: page.at(-1) })).toString('base64');
    }
    return output;
  }

  deleteQueue(input: Input): Output {
    const queue = this.queue(input);
    queue.store.removeAll();
    queue.store.close();
    this.queues.delete(queue.name);
    this.deletedAt.set(queue.name, this.clock.now());
    this.log({ t: 'deleteQueue', name: queue.name, at: this.deletedAt.get(queue.name)! });
    return {};
  }

  getQueueAttributes(input: Input): Output {
    const queue = this.queue(input);
    const requested = stringList(input, 'AttributeNames');
    const all = requested.includes('All');
    const known = new Set<string>([...COMPUTED_ATTRIBUTES, ...Object.keys(queue.attributes)]);
    for (const name of requested) {
      if (name !== 'All' && !known.has(name) && !isKnownAttributeName(name, queue.fifo)) {
        throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
    }
    const now = this.clock.now();
    if (now - queue.lastSweepAt >= 1000) {
      queue.lastSweepAt = now;
      queue.store.dropExpired(Number(queue.attributes.MessageRetentionPeriod) * 1000);
    }
    const counts = queue.store.counts();
    const values: Record<string, string> = {
      ...queue.attributes,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inflight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
      QueueArn: queue.arn,
    };
    // The reuse period belongs to a KMS key and is not reported without one (recorded on AWS:
    // test_set_queue_attributes_default_values).
    if (!values.KmsMasterKeyId) delete values.KmsDataKeyReusePeriodSeconds;
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(values)) {
      if (value !== '' && (all || requested.includes(name))) attributes[name] = value;
    }
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }

  setQueueAttributes(input: Input, scope: RequestScope): Output {
    const queue = this.queue(input);
    const given = stringMap(input, 'Attributes');
    for (const [key, value] of Object.entries(given)) validateAttribute(key, value, queue.fifo, false);
    checkEncryption(given);
    this.validateRedrive(given, queue.name, queue.fifo, scope);
    for (const [key, value] of Object.entries(normaliseAttributes(given))) {
      if (value === '' && (key === 'Policy' || key === 'RedrivePolicy' || key === 'RedriveAllowPolicy')) {
        delete queue.attributes[key];
      } else queue.attributes[key] = value;
    }
    switchEncryption(given, queue.attributes);
    queue.redrive = queue.attributes.RedrivePolicy
      ? parseRedrivePolicy(queue.attributes.RedrivePolicy)
      : undefined;
    queue.modifiedAt = this.clock.now();
    this.logDefinition(queue);
    return {};
  }

  purgeQueue(input: Input): Output {
    const queue = this.queue(input);
    const now = this.clock.now();
    if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < PURGE_INTERVAL_MS) {
      // HTTP 403, as recorded on AWS (test_successive_purge_calls_fail) and in the SQS model.
      throw new AwsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
        403,
      );
    }
    queue.lastPurgeAt = now;
    queue.store.removeAll();
    // A purge also forgets the FIFO deduplication ids: a re-send is delivered (recorded:
    // test_purge_queue_clears_fifo_deduplication_cache). The journal's purge record does the same.
    queue.dedup.clear();
    this.log({ t: 'purge', name: queue.name, at: now });
    return {};
  }

  tagQueue(input: Input): Output {
    const queue = this.queue(input);
    const tags = { ...queue.tags, ...stringMap(input, 'Tags') };
    if (Object.keys(tags).length > 50) throw invalidParameter('Too many tags; a queue can have at most 50.');
    queue.tags = tags;
    this.logDefinition(queue);
    return {};
  }

  untagQueue(input: Input): Output {
    const queue = this.queue(input);
    for (const key of stringList(input, 'TagKeys')) delete queue.tags[key];
    this.logDefinition(queue);
    return {};
  }

  listQueueTags(input: Input): Output {
    const queue = this.queue(input);
    return Object.keys(queue.tags).length > 0 ? { Tags: { ...queue.tags } } : {};
  }

  listDeadLetterSourceQueues(input: Input, scope: RequestScope): Output {
    const queue = this.queue(input);
    const max = optionalInteger(input, 'MaxResults', 1, 1000);
    const after = this.decodeToken(optionalString(input, 'NextToken'));
    const names = [...this.queues.values()]
      .filter((source) => source.redrive?.deadLetterTargetArn === queue.arn && source.name > after)
      .map((source) => source.name)
      .sort();
    const page = names.slice(0, max ?? 1000);
    const output: Output = { queueUrls: page.map((name) => this.url(this.queues.get(name)!, scope)) };
    if (max !== undefined && names.length > page.length) {
      output.NextToken = Buffer.from(JSON.stringify({ after: page.at(-1) })).toString('base64');
    }
    return output;
  }

  // --- messages -----------------------------------------------------------------------------

  sendMessage(input: Input, scope: RequestScope): Output {
    const queue = this.queue(input);
    const prepared = this.prepareSend(queue, input, scope.traceHeader);
    return this.enqueue(queue, prepared, scope);
  }

  sendMessageBatch(input: Input, scope: RequestScope): Output {
    const queue = this.queue(input);
    const entries = entryList(input, 'Entries');
    validateBatchIds(entries);
    let total = 0;
    for (const entry of entries) {
      total += typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody, 'utf8') : 0;
      const { bytes } = safeAttributeBytes(entry.MessageAttributes);
      total += bytes;
    }
    if (total > MAX_BATCH_BYTES) {
      throw new AwsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes. You have sent ${total} bytes.`,
      );
    }
    if (queue.fifo) {
      // An entry without its group id, or without a deduplication id the queue cannot derive, fails
      // the whole request before anything is sent (recorded:
      // test_send_batch_missing_message_group_id_for_fifo_queue, ..._deduplication_id_...).
      for (const entry of entries) {
        if (entry.MessageGroupId === undefined || entry.MessageGroupId === null) {
          throw invalidParameter('The request must contain the parameter MessageGroupId.');
        }
        if (
          (entry.MessageDeduplicationId === undefined || entry.MessageDeduplicationId === null) &&
          queue.attributes.ContentBasedDeduplication !== 'true'
        ) {
          throw invalidParameter(
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
      }
    }
    return eachBatchEntry(entries, (entry) =>
      this.enqueue(queue, this.prepareSend(queue, entry, scope.traceHeader, true), scope),
    );
  }

  async receiveMessage(input: Input): Promise<Output> {
    const queue = this.queue(input);
    // Wording as recorded on AWS (test_send_receive_max_number_of_messages, ..._wait_time_seconds).
    const max =
      optionalInteger(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
    const visibility =
      optionalInteger(input, 'VisibilityTimeout', 0, 43200) ?? Number(queue.attributes.VisibilityTimeout);
    const wait =
      optionalInteger(input, 'WaitTimeSeconds', 0, 20, 'Must be >= 0 and <= 20, if provided.') ??
      Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
    const attemptId = queue.fifo ? optionalString(input, 'ReceiveRequestAttemptId') : undefined;
    const systemNames = new Set([
      ...stringList(input, 'AttributeNames'),
      ...stringList(input, 'MessageSystemAttributeNames'),
    ]);
    const attributeFilter = messageAttributeFilter(stringList(input, 'MessageAttributeNames'));
    const deadline = performance.now() + wait * 1000;
    const render = (message: StoredMessage, receipt?: string) =>
      this.render(queue, message, systemNames, attributeFilter, receipt);
    if (attemptId !== undefined) {
      const repeated = this.repeatAttempt(queue, attemptId, visibility);
      if (repeated) return { Messages: repeated.map(({ message, receipt }) => render(message, receipt)) };
    }
    for (;;) {
      const current = this.queues.get(queue.name);
      if (current !== queue) throw queueDoesNotExist();
      const now = this.clock.now();
      const messages = queue.store.receive(
        max,
        now + visibility * 1000,
        Number(queue.attributes.MessageRetentionPeriod) * 1000,
        queue.redrive ? (message) => this.moveToDeadLetterQueue(queue, message) : undefined,
      );
      const remaining = deadline - performance.now();
      if (messages.length > 0 || remaining <= 0 || this.closed) {
        this.countActivity(queue, 'received', messages.length);
        if (messages.length === 0) return {};
        const output = messages.map((message) => render(message));
        this.logDeliveries(queue, messages);
        if (attemptId !== undefined) {
          queue.attempts.set(attemptId, {
            at: this.clock.now(),
            deliveries: messages.map((message) => ({
              message,
              receipt: message.receipt,
              version: message.version,
            })),
          });
        }
        return { Messages: output };
      }
      await queue.store.waitForMessages(remaining);
    }
  }

  deleteMessage(input: Input): Output {
    const queue = this.queue(input);
    const handle = requiredString(input, 'ReceiptHandle');
    this.deleteByHandle(queue, handle);
    return {};
  }

  deleteMessageBatch(input: Input): Output {
    const queue = this.queue(input);
    const entries = entryList(input, 'Entries');
    validateBatchIds(entries);
    return eachBatchEntry(entries, (entry) =>
      this.deleteByHandle(queue, requiredString(entry, 'ReceiptHandle')),
    );
  }

  changeMessageVisibility(input: Input): Output {
    const queue = this.queue(input);
    this.changeVisibility(queue, input);
    return {};
  }

  changeMessageVisibilityBatch(input: Input): Output {
    const queue = this.queue(input);
    const entries = entryList(input, 'Entries');
    validateBatchIds(entries);
    return eachBatchEntry(entries, (entry) => this.changeVisibility(queue, entry));
  }

  // --- message move tasks (DLQ redrive) ----------------------------------------------------

  startMessageMoveTask(input: Input): Output {
    return this.moveTasks.start(input);
  }

  listMessageMoveTasks(input: Input): Output {
    return this.moveTasks.list(input);
  }

  cancelMessageMoveTask(input: Input): Output {
    return this.moveTasks.cancel(input);
  }

  // --- persistence and lifecycle ------------------------------------------------------------

  /** Internal structure sizes of one queue (undefined when it does not exist); for tests and diagnostics. */
  internalSizes(queueName: string): (ReturnType<MessageStore['sizes']> & { dedup: number }) | undefined {
    const queue = this.queues.get(queueName);
    return queue && { ...queue.store.sizes(), dedup: queue.dedup.size };
  }

  snapshot(): SqsSnapshot {
    return {
      queues: [...this.queues.values()].map((queue) => ({
        name: queue.name,
        arn: queue.arn,
        accountId: queue.accountId,
        fifo: queue.fifo,
        createdAt: queue.createdAt,
        modifiedAt: queue.modifiedAt,
        attributes: queue.attributes,
        tags: queue.tags,
        ...(queue.dedupScope !== undefined ? { dedupScope: queue.dedupScope } : {}),
        messages: [...queue.store.messages.values()],
        dedup: [...queue.dedup.entries()],
        sequence: queue.sequence,
        lastPurgeAt: queue.lastPurgeAt,
      })),
      deletedAt: [...this.deletedAt.entries()],
      moveTasks: this.moveTasks.snapshot(),
    };
  }

  restore(state: SqsSnapshot): void {
    this.close();
    this.closed = false;
    this.queues.clear();
    for (const saved of state.queues) {
      const queue = this.makeQueue({
        ...saved,
        attributes: { ...saved.attributes },
        tags: { ...saved.tags },
      });
      queue.sequence = saved.sequence;
      queue.lastPurgeAt = saved.lastPurgeAt ?? undefined;
      for (const [key, entry] of saved.dedup) queue.dedup.set(key, entry);
      for (const message of saved.messages) queue.store.add({ ...message });
      this.queues.set(queue.name, queue);
    }
    this.deletedAt.clear();
    for (const [name, at] of state.deletedAt) this.deletedAt.set(name, at);
    this.moveTasks.restore(state.moveTasks);
  }

  close(): void {
    this.closed = true;
    this.moveTasks.close();
    for (const queue of this.queues.values()) queue.store.close();
  }

  // --- internals ----------------------------------------------------------------------------

  private makeQueue(fields: QueueDefinition): Queue {
    const store = new MessageStore(fields.fifo, this.clock);
    // Retention drops depend on the attributes at the time, which may change later: logged too.
    store.onExpired = (message) => this.log({ t: 'delete', queue: fields.name, id: message.id });
    return {
      ...fields,
      store,
      dedup: new Map(),
      sequence: 0,
      lastPurgeAt: undefined,
      lastSweepAt: 0,
      attempts: new Map(),
      dedupScope: fields.dedupScope ?? (fields.fifo ? fields.attributes.DeduplicationScope : undefined),
      redrive: fields.attributes.RedrivePolicy
        ? parseRedrivePolicy(fields.attributes.RedrivePolicy)
        : undefined,
    };
  }

  /**
   * A RedrivePolicy's dead-letter queue must exist, have the source's type and allow the source in
   * its RedriveAllowPolicy; a RedriveAllowPolicy's byQueue list is checked when sources attach.
   * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
   */
  private validateRedrive(
    attributes: Record<string, string>,
    name: string,
    fifo: boolean,
    scope: RequestScope,
  ): void {
    if (!attributes.RedrivePolicy) return;
    const policy = parseRedrivePolicy(attributes.RedrivePolicy);
    const target = this.queueByArn(policy.deadLetterTargetArn);
    const reason = (text: string) =>
      invalidParameter(
        `Value ${attributes.RedrivePolicy} for parameter RedrivePolicy is invalid. Reason: ${text}`,
      );
    if (!target) throw reason('Dead letter target does not exist.');
    if (target.fifo !== fifo) throw reason('Dead-letter queue must be same type of queue as the source.');
    const allow = target.attributes.RedriveAllowPolicy
      ? parseRedriveAllowPolicy(target.attributes.RedriveAllowPolicy)
      : undefined;
    const sourceArn = this.queues.get(name)?.arn ?? `arn:aws:sqs:${scope.region}:${scope.accountId}:${name}`;
    if (
      allow &&
      (allow.redrivePermission === 'denyAll' ||
        (allow.redrivePermission === 'byQueue' && !allow.sourceQueueArns.includes(sourceArn)))
    ) {
      throw reason("Dead-letter queue's RedriveAllowPolicy does not allow this queue as a source queue.");
    }
  }

  private url(queue: Queue, scope: RequestScope): string {
    return `http://${scope.host}/${queue.accountId}/${queue.name}`;
  }

  /** Looks a queue up by the last path segment of its URL, so any host the client used works. */
  private queue(input: Input): Queue {
    const url = requiredString(input, 'QueueUrl');
    const name = url.split('?')[0]!.replace(/\/+$/, '').split('/').at(-1) ?? '';
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  /** By the ARN's last segment; a queue's ARN always ends in its name, so the lookup is the check. */
  private queueByArn(arn: string): Queue | undefined {
    return arn.startsWith('arn:') ? this.queues.get(arn.split(':').at(-1) ?? '') : undefined;
  }

  private decodeToken(token: string | undefined): string {
    if (!token) return '';
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown };
      if (typeof parsed.after === 'string') return parsed.after;
    } catch {
      // fall through
    }
    throw invalidParameter('Invalid NextToken value.');
  }

  private prepareSend(
    queue: Queue,
    input: Input,
    traceHeader: string | undefined,
    inBatch = false,
  ): PreparedMessage {
    const body = validateBody(input.MessageBody);
    const user = validateMessageAttributes(input.MessageAttributes, 'user');
    const system = validateMessageAttributes(input.MessageSystemAttributes, 'system');
    const delay = optionalInteger(input, 'DelaySeconds', 0, 900);
    const groupId = optionalString(input, 'MessageGroupId');
    let dedupId = optionalString(input, 'MessageDeduplicationId');
    const size = Buffer.byteLength(body, 'utf8') + user.bytes;
    const limit = Number(queue.attributes.MaximumMessageSize);
    if (size > limit) {
      throw invalidParameter(
        // A batch entry is worded differently (recorded on AWS: test_send_oversized_message,
        // test_send_batch_message_size).
        `One or more parameters ${inBatch ? 'cannot be validated' : 'are invalid'}. Reason: Message must be shorter than ${limit} bytes.`,
      );
    }
    if (groupId !== undefined) validateFifoId('MessageGroupId', groupId);
    if (dedupId !== undefined) validateFifoId('MessageDeduplicationId', dedupId);
    if (queue.fifo) {
      if (delay !== undefined && delay > 0) {
        throw invalidParameter(
          `Value ${delay} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
        );
      }
      if (groupId === undefined) throw missingParameter('MessageGroupId');
      if (dedupId === undefined) {
        if (queue.attributes.ContentBasedDeduplication !== 'true') {
          throw invalidParameter(
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        dedupId = createHash('sha256').update(body, 'utf8').digest('hex');
      }
    } else if (dedupId !== undefined) {
      throw invalidParameter(
        'Value for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.',
      );
    }
    return {
      body,
      attributes: user.attributes,
      systemAttributes: system.attributes,
      // A FIFO queue delays every message by its own DelaySeconds, even one sent with DelaySeconds=0
      // (recorded: test_fifo_queue_send_message_with_zero_delay_defaults_to_queue_delay).
      delaySeconds: queue.fifo
        ? Number(queue.attributes.DelaySeconds)
        : (delay ?? Number(queue.attributes.DelaySeconds)),
      groupId,
      dedupId,
      traceHeader,
    };
  }

  private enqueue(queue: Queue, prepared: PreparedMessage, scope: RequestScope): Output {
    const now = this.clock.now();
    let dedupKey: string | undefined;
    if (queue.fifo) {
      pruneDedup(queue.dedup, now);
      dedupKey =
        queue.dedupScope === 'messageGroup'
          ? `${prepared.groupId}\u0000${prepared.dedupId}`
          : prepared.dedupId!;
      const seen = queue.dedup.get(dedupKey);
      if (seen) return this.sendResult(prepared, seen.messageId, seen.sequenceNumber);
    }
    const sequenceNumber = queue.fifo ? String(SEQUENCE_BASE + BigInt(++queue.sequence)) : undefined;
    const message: StoredMessage = {
      id: randomUUID(),
      body: prepared.body,
      md5OfBody: md5Hex(prepared.body),
      ...(prepared.attributes
        ? {
            messageAttributes: prepared.attributes,
            md5OfMessageAttributes: md5OfAttributes(prepared.attributes),
          }
        : {}),
      ...storedSystemAttributes(prepared),
      sentAt: now,
      senderId: scope.accountId,
      ...(prepared.groupId !== undefined ? { groupId: prepared.groupId } : {}),
      ...(queue.fifo ? { dedupId: prepared.dedupId!, sequenceNumber: sequenceNumber! } : {}),
      receiveCount: 0,
      state: 'delayed',
      dueAt: now + prepared.delaySeconds * 1000,
      version: 0,
      receipt: '',
    };
    const dedup = dedupKey !== undefined ? { messageId: message.id, sequenceNumber, at: now } : undefined;
    if (dedup) queue.dedup.set(dedupKey!, dedup);
    queue.store.add(message);
    if (this.journal) {
      this.log({
        t: 'send',
        queue: queue.name,
        message,
        ...(dedup ? { dedup: [dedupKey!, dedup] as const, sequence: queue.sequence } : {}),
      });
    }
    this.countActivity(queue, 'sent', 1);
    return this.sendResult(prepared, message.id, sequenceNumber, message);
  }

  private sendResult(
    prepared: PreparedMessage,
    messageId: string,
    sequenceNumber: string | undefined,
    message?: StoredMessage,
  ): Output {
    const result: Output = {
      MessageId: messageId,
      MD5OfMessageBody: message?.md5OfBody ?? md5Hex(prepared.body),
    };
    if (prepared.attributes) {
      result.MD5OfMessageAttributes = message?.md5OfMessageAttributes ?? md5OfAttributes(prepared.attributes);
    }
    if (prepared.systemAttributes)
      result.MD5OfMessageSystemAttributes = md5OfAttributes(prepared.systemAttributes);
    if (sequenceNumber !== undefined) result.SequenceNumber = sequenceNumber;
    return result;
  }

  /**
   * Called by a receive that is about to deliver `message` for the (maxReceiveCount + 1)-th time:
   * moves it to the dead-letter queue instead. Returns false (deliver it) when the DLQ is gone.
   * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
   */
  private moveToDeadLetterQueue(queue: Queue, message: StoredMessage): boolean {
    const policy = queue.redrive;
    if (!policy || message.receiveCount < policy.maxReceiveCount) return false;
    const target = this.queueByArn(policy.deadLetterTargetArn);
    // A queue may name itself as its dead-letter queue (AWS accepts that policy); moving a message
    // to where it already is would only loop, so it is delivered as usual.
    if (!target || target.fifo !== queue.fifo || target === queue) return false;
    queue.store.remove(message);
    const now = this.clock.now();
    const moved: StoredMessage = {
      ...message,
      // FIFO dead-letter queues reset the enqueue timestamp; standard ones keep the original.
      sentAt: target.fifo ? now : message.sentAt,
      deadLetterSourceArn: queue.arn,
      state: 'visible',
      dueAt: now,
      version: 0,
      receipt: '',
    };
    target.store.add(moved);
    this.log({ t: 'delete', queue: queue.name, id: message.id });
    this.log({ t: 'send', queue: target.name, message: moved });
    return true;
  }

  /**
   * A FIFO receive retried with the same ReceiveRequestAttemptId within five minutes gets the same
   * messages and receipt handles, with a fresh visibility timeout, as long as none of them was
   * deleted or had its visibility changed; otherwise it is an ordinary receive.
   * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
   */
  private repeatAttempt(
    queue: Queue,
    attemptId: string,
    visibilitySeconds: number,
  ): ReceiveAttempt['deliveries'] | undefined {
    const now = this.clock.now();
    for (const [key, attempt] of queue.attempts) {
      if (now - attempt.at < DEDUP_WINDOW_MS) break;
      queue.attempts.delete(key);
    }
    const attempt = queue.attempts.get(attemptId);
    if (!attempt) return undefined;
    queue.store.counts();
    const unchanged = attempt.deliveries.every(
      ({ message, receipt, version }) =>
        message.state === 'inflight' && message.receipt === receipt && message.version === version,
    );
    if (!unchanged) {
      queue.attempts.delete(attemptId);
      return undefined;
    }
    for (const delivery of attempt.deliveries) {
      queue.store.changeVisibility(delivery.message, now + visibilitySeconds * 1000);
      delivery.version = delivery.message.version;
      this.log({
        t: 'visibility',
        queue: queue.name,
        id: delivery.message.id,
        dueAt: delivery.message.dueAt,
      });
    }
    return attempt.deliveries;
  }

  private render(
    queue: Queue,
    message: StoredMessage,
    systemNames: ReadonlySet<string>,
    attributeFilter: ((name: string) => boolean) | undefined,
    receipt?: string,
  ): Output {
    message.receipt = receipt ?? randomUUID();
    const output: Output = {
      MessageId: message.id,
      ReceiptHandle: encodeReceiptHandle(queue.name, message.id, message.receipt),
      MD5OfBody: message.md5OfBody,
      Body: message.body,
    };
    if (systemNames.size > 0) {
      const all = systemNames.has('All');
      const values: Record<string, string | undefined> = {
        SenderId: message.senderId,
        SentTimestamp: String(message.sentAt),
        ApproximateReceiveCount: String(message.receiveCount),
        ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
        SequenceNumber: message.sequenceNumber,
        MessageDeduplicationId: message.dedupId,
        MessageGroupId: message.groupId,
        AWSTraceHeader: message.systemAttributes?.AWSTraceHeader?.StringValue,
        DeadLetterQueueSourceArn: message.deadLetterSourceArn,
      };
      const attributes: Record<string, string> = {};
      for (const name of SYSTEM_ATTRIBUTE_NAMES) {
        const value = values[name];
        if (value !== undefined && (all || systemNames.has(name))) attributes[name] = value;
      }
      if (Object.keys(attributes).length > 0) output.Attributes = attributes;
    }
    if (attributeFilter && message.messageAttributes) {
      const selected: Record<string, MessageAttributeValue> = {};
      let count = 0;
      for (const [name, value] of Object.entries(message.messageAttributes)) {
        if (attributeFilter(name)) {
          setOwn(selected, name, value);
          count++;
        }
      }
      if (count > 0) {
        output.MessageAttributes = selected;
        output.MD5OfMessageAttributes =
          count === Object.keys(message.messageAttributes).length
            ? message.md5OfMessageAttributes
            : md5OfAttributes(selected);
      }
    }
    return output;
  }

  /**
   * Only the most recent receipt handle deletes: "you must provide the most recently received
   * receipt handle for the message (otherwise, the request succeeds, but the message will not be
   * deleted)". https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
   * On a FIFO queue a handle whose visibility lapsed has expired: AWS rejects it and the message is
   * delivered again (recorded: test_fifo_delete_after_visibility_timeout).
   */
  private deleteByHandle(queue: Queue, handle: string): void {
    const decoded = decodeReceiptHandle(handle);
    if (!decoded || decoded.queue !== queue.name) throw receiptHandleInvalid(handle);
    if (queue.fifo) queue.store.counts();
    const message = queue.store.messages.get(decoded.messageId);
    if (queue.fifo && message?.receipt === decoded.nonce && message.state !== 'inflight') {
      throw invalidParameter(
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
      );
    }
    if (message && message.receipt === decoded.nonce) {
      queue.store.remove(message);
      this.log({ t: 'delete', queue: queue.name, id: message.id });
      this.countActivity(queue, 'deleted', 1);
    }
  }

  private countActivity(queue: Queue, counter: ActivityCounter, count: number): void {
    let counters = this.activity.get(queue);
    if (!counters) {
      counters = { sent: 0, received: 0, deleted: 0 };
      this.activity.set(queue, counters);
    }
    counters[counter] += count;
  }

  /** Read-only numbers of every queue (a scan per call: meant for a metrics tick, not a hot path). */
  queueStats(): QueueStatistics[] {
    const now = this.clock.now();
    return [...this.queues.values()].map((queue) => {
      const counts = queue.store.counts();
      let oldest = now;
      for (const message of queue.store.messages.values()) oldest = Math.min(oldest, message.sentAt);
      const activity = this.activity.get(queue);
      return {
        queueName: queue.name,
        visible: counts.visible,
        notVisible: counts.inflight,
        delayed: counts.delayed,
        oldestMessageAgeSeconds: Math.floor((now - oldest) / 1000),
        sent: activity?.sent ?? 0,
        received: activity?.received ?? 0,
        deleted: activity?.deleted ?? 0,
      };
    });
  }

  private changeVisibility(queue: Queue, input: Input): void {
    const handle = requiredString(input, 'ReceiptHandle');
    if (input.VisibilityTimeout === undefined || input.VisibilityTimeout === null) {
      throw missingParameter('VisibilityTimeout');
    }
    const timeout = optionalInteger(input, 'VisibilityTimeout', 0, 43200)!;
    const decoded = decodeReceiptHandle(handle);
    if (!decoded || decoded.queue !== queue.name) throw receiptHandleInvalid(handle);
    queue.store.counts();
    const message = queue.store.messages.get(decoded.messageId);
    if (!message || message.receipt !== decoded.nonce) {
      throw invalidParameter(
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    // The latest handle of a message whose visibility lapsed (and that nobody received since):
    // AWS answers 200, as recorded (test_change_message_visibility_after_visibility_timeout_expiration
    // in LocalStack's AWS-validated tests); the message stays visible.
    if (message.state !== 'inflight') return;
    const now = this.clock.now();
    if (now + timeout * 1000 - (message.receivedAt ?? now) > MAX_VISIBILITY_MS) {
      throw invalidParameter(
        `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
      );
    }
    queue.store.changeVisibility(message, now + timeout * 1000);
    this.log({ t: 'visibility', queue: queue.name, id: message.id, dueAt: message.dueAt });
  }

  /** Receipt handles and visibility deadlines handed out, so old handles keep working after a restart. */
  private logDeliveries(queue: Queue, messages: readonly StoredMessage[]): void {
    if (!this.journal) return;
    const deliveries = messages.map(
      (message): DeliveryRecord => ({
        id: message.id,
        receipt: message.receipt,
        dueAt: message.dueAt,
        receiveCount: message.receiveCount,
        firstReceiveAt: message.firstReceiveAt,
        receivedAt: message.receivedAt,
      }),
    );
    this.log({ t: 'receive', queue: queue.name, deliveries });
  }
}

interface PreparedMessage {
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue> | undefined;
  /** As given in MessageSystemAttributes (their digest is returned). */
  readonly systemAttributes: Record<string, MessageAttributeValue> | undefined;
  /** The request's X-Amzn-Trace-Id, stored as AWSTraceHeader unless the system attribute is given. */
  readonly traceHeader: string | undefined;
  readonly delaySeconds: number;
  readonly groupId: string | undefined;
  readonly dedupId: string | undefined;
}

/**
 * The system attributes a message keeps: those given, else the request's X-Amzn-Trace-Id as
 * AWSTraceHeader; "if both ... are set, the message system attribute overrides the HTTP trace
 * header" (https://docs.aws.amazon.com/xray/latest/devguide/xray-services-sqs.html; recorded on AWS:
 * test_aws_trace_header_propagation).
 */
function storedSystemAttributes(prepared: PreparedMessage): {
  systemAttributes?: Record<string, MessageAttributeValue>;
} {
  if (prepared.systemAttributes) return { systemAttributes: prepared.systemAttributes };
  if (!prepared.traceHeader) return {};
  return { systemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: prepared.traceHeader } } };
}

function safeAttributeBytes(raw: unknown): { bytes: number } {
  try {
    return validateMessageAttributes(raw, 'user');
  } catch {
    return { bytes: 0 };
  }
}

/**
 * Stores values the way SQS returns them: booleans in lower case (`True` is accepted), RedrivePolicy
 * re-serialised with a numeric maxReceiveCount, so a re-create with the same values written
 * differently is still identical.
 */
function normaliseAttributes(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(attributes)) {
    const value = canonicalValue(key, raw);
    if (key === 'RedrivePolicy' && value !== '') {
      const policy = parseRedrivePolicy(value);
      out[key] = JSON.stringify({
        deadLetterTargetArn: policy.deadLetterTargetArn,
        maxReceiveCount: policy.maxReceiveCount,
      });
    } else out[key] = value;
  }
  return out;
}

/**
 * SSE-KMS and SQS-managed SSE exclude each other: asking for both at once is refused, in AWS's
 * words (recorded: test_sse_kms_and_sqs_are_mutually_exclusive).
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 */
function checkEncryption(given: Record<string, string>): void {
  if (given.KmsMasterKeyId && given.SqsManagedSseEnabled?.toLowerCase() === 'true') {
    throw new AwsError(
      'InvalidAttributeName',
      'You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.',
    );
  }
}

/**
 * Applies the switch the given values make after they are stored: a KMS key turns SQS-managed SSE
 * off, and clearing it (`""`) removes the key with its reuse period (recorded:
 * test_set_queue_attributes_default_values, test_sse_queue_attributes); switching SQS-managed SSE
 * on removes the KMS key ("Only one server-side encryption option is supported per queue").
 */
function switchEncryption(given: Record<string, string>, attributes: Record<string, string>): void {
  const dropKms = () => {
    delete attributes.KmsMasterKeyId;
    delete attributes.KmsDataKeyReusePeriodSeconds;
  };
  if (given.KmsMasterKeyId === '') dropKms();
  else if (given.KmsMasterKeyId !== undefined) attributes.SqsManagedSseEnabled = 'false';
  if (given.SqsManagedSseEnabled?.toLowerCase() === 'true') dropKms();
}

function pruneDedup(dedup: Map<string, DedupEntry>, now: number): void {
  for (const [key, entry] of dedup) {
    if (now - entry.at < DEDUP_WINDOW_MS) break;
    dedup.delete(key);
  }
}

/**
 * Applies a batch action to each entry on its own, as SQS does: an entry whose action fails with an
 * AwsError is reported in `Failed` and the others still succeed (any other error fails the request).
 */
function eachBatchEntry(
  entries: readonly Input[],
  // biome-ignore lint/suspicious/noConfusingVoidType: delete and change-visibility return nothing; their entries report only the Id.
  apply: (entry: Input) => Output | void,
): Output {
  const successful: Output[] = [];
  const failed: Output[] = [];
  for (const entry of entries) {
    try {
      successful.push({ Id: entry.Id, ...apply(entry) });
    } catch (error) {
      failed.push(batchFailure(entry.Id as string, error));
    }
  }
  // AWS leaves Failed out when nothing failed (recorded:
  // test_send_message_batch_with_oversized_contents_with_updated_maximum_message_size).
  return failed.length > 0 ? { Successful: successful, Failed: failed } : { Successful: successful };
}

function batchFailure(id: string, error: unknown): Output {
  if (!(error instanceof AwsError)) throw error;
  return {
    Id: id,
    SenderFault: error.fault === 'Sender',
    Code: queryErrorCode(error.code),
    Message: error.message,
  };
}

/**
 * `All`, `*` or `.*` selects every attribute, `prefix.*` those whose names start with `prefix`
 * (`Hel.*` selects `Hello` and `Help.Me`), anything else by name: AWS's answers as recorded
 * (test_receive_message_message_attribute_names_filters in LocalStack's AWS-validated tests).
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 */
function messageAttributeFilter(names: readonly string[]): ((name: string) => boolean) | undefined {
  if (names.length === 0) return undefined;
  if (names.includes('All') || names.includes('*') || names.includes('.*')) return () => true;
  const exact = new Set(names.filter((name) => !name.endsWith('.*')));
  const prefixes = names.filter((name) => name.endsWith('.*')).map((name) => name.slice(0, -2));
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

function isKnownAttributeName(name: string, fifo: boolean): boolean {
  const optional = [
    'Policy',
    'RedrivePolicy',
    'RedriveAllowPolicy',
    'KmsMasterKeyId',
    'KmsDataKeyReusePeriodSeconds',
  ];
  const fifoOnly = ['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'];
  return (
    optional.includes(name) || (fifo && fifoOnly.includes(name)) || Object.hasOwn(STANDARD_DEFAULTS, name)
  );
}

/** Opaque to clients; carries the queue, the message and the nonce of this particular receive. */
function encodeReceiptHandle(queue: string, messageId: string, nonce: string): string {
  return Buffer.from(`${queue}\n${messageId}\n${nonce}`, 'utf8').toString('base64');
}

function decodeReceiptHandle(
  handle: string,
): { queue: string; messageId: string; nonce: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, 'base64').toString('utf8').split('\n');
  if (parts.length !== 3 || parts.some((part) => part === '')) return undefined;
  const [queue, messageId, nonce] = parts as [string, string, string];
  if (encodeReceiptHandle(queue, messageId, nonce) !== handle) return undefined;
  return { queue, messageId, nonce };
}
