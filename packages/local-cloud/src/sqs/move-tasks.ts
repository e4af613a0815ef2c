/**
 * Message move tasks: StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask move
 * the messages of a dead-letter queue back to their source queues (or to a chosen destination)
 * asynchronously, on a timer.
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AwsError } from '../protocol.js';
import type { Output } from './engine.js';
import { invalidParameter } from './errors.js';
import type { SqsRecord } from './journal.js';
import type { MessageStore, StoredMessage } from './queue.js';
import { type Input, optionalInteger, optionalString, requiredString } from './validation.js';

const MOVE_TICK_MS = 100;

type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

/** One task's progress; plain data so snapshots can serialise it. */
export interface MoveTaskState {
  readonly handle: string;
  readonly sourceArn: string;
  readonly destinationArn: string | undefined;
  readonly rate: number | undefined;
  status: MoveTaskStatus;
  moved: number;
  readonly toMove: number;
  readonly startedAt: number;
  failureReason: string | undefined;
  /** Ids of the messages present when the task started; moved in this order. */
  readonly pending: string[];
  cursor: number;
  credit: number;
}

/** What the tasks need to know about queues. */
export interface MoveTaskQueues {
  queueByArn(
    arn: string,
  ): { readonly arn: string; readonly fifo: boolean; readonly store: MessageStore } | undefined;
  /** Whether some queue's RedrivePolicy targets this queue. */
  isDeadLetterQueue(arn: string): boolean;
}

export class MessageMoveTasks {
  private tasks: MoveTaskState[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly queues: MoveTaskQueues,
    private readonly clock: Clock,
    /** Records each change for --data-dir (journal.ts). */
    private readonly log: (record: SqsRecord) => void = () => undefined,
  ) {}

  start(input: Input): Output {
    const sourceArn = requiredString(input, 'SourceArn');
    const destinationArn = optionalString(input, 'DestinationArn');
    const rate = optionalInteger(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
    const source = this.queues.queueByArn(sourceArn);
    if (!source) throw resourceNotFound('SourceArn');
    if (!this.queues.isDeadLetterQueue(sourceArn)) {
      throw invalidParameter('Source queue must be configured as a Dead Letter Queue.');
    }
    if (destinationArn !== undefined) {
      const destination = this.queues.queueByArn(destinationArn);
      if (!destination) throw resourceNotFound('DestinationArn');
      if (destination === source)
        throw invalidParameter('Source queue and destination queue must be different.');
      if (destination.fifo !== source.fifo)
        throw invalidParameter('Source and destination queues must be of the same type.');
    }
    if (this.tasks.some((task) => task.sourceArn === sourceArn && task.status === 'RUNNING')) {
      // InvalidParameterValue, as recorded on AWS (test_start_multiple_move_tasks).
      throw invalidParameter(
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    const pending = [...source.store.messages.keys()];
    const task: MoveTaskState = {
      handle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      sourceArn,
      destinationArn,
      rate,
      status: 'RUNNING',
      moved: 0,
      toMove: pending.length,
      startedAt: this.clock.now(),
      failureReason: undefined,
      pending,
      cursor: 0,
      credit: 0,
    };
    this.tasks.push(task);
    this.log({ t: 'task', task });
    this.schedule();
    return { TaskHandle: task.handle };
  }

  list(input: Input): Output {
    const sourceArn = requiredString(input, 'SourceArn');
    const max = optionalInteger(input, 'MaxResults', 1, 10) ?? 1;
    if (!this.queues.queueByArn(sourceArn)) throw resourceNotFound('SourceArn');
    const results = this.tasks
      .filter((task) => task.sourceArn === sourceArn)
      .reverse()
      .slice(0, max)
      .map((task) => {
        const result: Output = {
          Status: task.status,
          SourceArn: task.sourceArn,
          ApproximateNumberOfMessagesMoved: task.moved,
          ApproximateNumberOfMessagesToMove: task.toMove,
          StartedTimestamp: task.startedAt,
        };
        if (task.status === 'RUNNING') result.TaskHandle = task.handle;
        if (task.destinationArn) result.DestinationArn = task.destinationArn;
        if (task.rate !== undefined) result.MaxNumberOfMessagesPerSecond = task.rate;
        if (task.failureReason) result.FailureReason = task.failureReason;
        return result;
      });
    return { Results: results };
  }

  /**
   * A handle that is not a task handle is an invalid parameter; one naming a queue that does not
   * exist, or a task that does not, is not found (HTTP 404), as recorded on AWS
   * (test_cancel_with_invalid_task_handle, ..._invalid_source_arn_in_task_handle,
   * ..._invalid_task_id_in_task_handle in LocalStack's AWS-validated test_sqs_move_task.py).
   */
  cancel(input: Input): Output {
    const handle = requiredString(input, 'TaskHandle');
    const decoded = decodeTaskHandle(handle);
    if (!decoded) throw invalidParameter('Value for parameter TaskHandle is invalid.');
    if (!this.queues.queueByArn(decoded.sourceArn)) throw resourceNotFound('SourceArn');
    const task = this.tasks.find((candidate) => {
      const known = decodeTaskHandle(candidate.handle);
      return known?.taskId === decoded.taskId && known.sourceArn === decoded.sourceArn;
    });
    if (!task) throw new AwsError('ResourceNotFoundException', 'Task does not exist.', 404);
    if (task.status !== 'RUNNING') {
      throw new AwsError('ResourceNotFoundException', 'Task does not exist or is not running.', 404);
    }
    task.status = 'CANCELLED';
    this.logProgress(task);
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  snapshot(): MoveTaskState[] {
    return this.tasks;
  }

  restore(tasks: readonly MoveTaskState[]): void {
    this.close();
    this.closed = false;
    this.tasks = tasks.map((task) => ({ ...task }));
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.closed || !this.tasks.some((task) => task.status === 'RUNNING')) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
      this.schedule();
    }, MOVE_TICK_MS);
    this.timer.unref();
  }

  /**
   * One tick of every running move task. Without a rate SQS picks its own; here a tick moves up to
   * 1,000 messages. In-flight messages are skipped, as in the console's redrive.
   * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
   */
  private tick(): void {
    for (const task of this.tasks) {
      if (task.status !== 'RUNNING') continue;
      const source = this.queues.queueByArn(task.sourceArn);
      if (!source) {
        task.status = 'FAILED';
        task.failureReason = 'AWS.SimpleQueueService.NonExistentQueue';
        this.logProgress(task);
        continue;
      }
      task.credit += task.rate !== undefined ? (task.rate * MOVE_TICK_MS) / 1000 : 1000;
      while (task.credit >= 1 && task.cursor < task.pending.length) {
        const message = source.store.messages.get(task.pending[task.cursor++]!);
        if (!message || message.state === 'inflight') continue;
        const destinationArn = task.destinationArn ?? message.deadLetterSourceArn;
        const destination = destinationArn ? this.queues.queueByArn(destinationArn) : undefined;
        if (!destination) {
          task.status = 'FAILED';
          task.failureReason = 'AWS.SimpleQueueService.NonExistentQueue';
          break;
        }
        source.store.remove(message);
        const now = this.clock.now();
        const moved: StoredMessage = {
          ...message,
          receiveCount: 0,
          state: 'visible',
          dueAt: now,
          version: 0,
          receipt: '',
        };
        delete moved.deadLetterSourceArn;
        delete moved.firstReceiveAt;
        delete moved.receivedAt;
        destination.store.add(moved);
        this.log({ t: 'delete', queue: queueName(source.arn), id: message.id });
        this.log({ t: 'send', queue: queueName(destination.arn), message: moved });
        task.moved++;
        task.credit--;
      }
      if (task.status === 'RUNNING' && task.cursor >= task.pending.length) task.status = 'COMPLETED';
      this.logProgress(task);
    }
  }

  private logProgress(task: MoveTaskState): void {
    const { handle, status, moved, cursor, credit, failureReason } = task;
    this.log({ t: 'taskProgress', progress: { handle, status, moved, cursor, credit, failureReason } });
  }
}

/** HTTP 404 in AWS's words (recorded: test_destination_needs_to_exist and the cancel cases). */
function resourceNotFound(parameter: 'SourceArn' | 'DestinationArn'): AwsError {
  return new AwsError(
    'ResourceNotFoundException',
    `The resource that you specified for the ${parameter} parameter doesn't exist.`,
    404,
  );
}

/** A task handle is base64 of `{"taskId": ..., "sourceArn": ...}`; anything else is not one. */
function decodeTaskHandle(handle: string): { taskId: string; sourceArn: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { taskId, sourceArn } = parsed as Record<string, unknown>;
    return typeof taskId === 'string' && typeof sourceArn === 'string' ? { taskId, sourceArn } : undefined;
  } catch {
    return undefined;
  }
}

/** A queue's name: its ARN's last segment. */
function queueName(arn: string): string {
  return arn.split(':').at(-1) ?? '';
}
