/**
 * One SQS queue's messages and the structures that make receiving cheap on big queues:
 * - standard queues keep visible messages in a deque (array + head index, lazy deletion);
 * - FIFO queues keep one ordered list per message group and a deque of groups that can deliver
 *   (their first message visible), so a receive never scans locked groups; a receive takes a
 *   group's messages in order up to the first one that is not visible, so messages received
 *   together and left to lapse come back while a later one whose visibility was extended stays
 *   hidden, as AWS does (FIFO-queues-understanding-logic.html; recorded in LocalStack's
 *   AWS-validated test_fifo_group_visibility_extends_with_change_message_visibility);
 * - delayed and in-flight messages sit in a min-heap by due time; entries are invalidated by a
 *   version number instead of being removed, and the heap is rebuilt when stale entries dominate.
 */
import type { Clock } from '../clock.js';
import type { MessageAttributeValue } from './digests.js';
import { MinHeap } from './min-heap.js';

export type MessageState = 'delayed' | 'visible' | 'inflight' | 'gone';

/** A stored message; plain data so snapshots can serialise it as is. */
export interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes?: Record<string, MessageAttributeValue>;
  readonly md5OfMessageAttributes?: string;
  readonly systemAttributes?: Record<string, MessageAttributeValue>;
  sentAt: number;
  readonly senderId: string;
  readonly groupId?: string;
  readonly dedupId?: string;
  sequenceNumber?: string;
  deadLetterSourceArn?: string;
  receiveCount: number;
  firstReceiveAt?: number;
  /** When the latest receive happened; bounds ChangeMessageVisibility to 12 hours from it. */
  receivedAt?: number;
  state: MessageState;
  /** When a delayed message becomes visible or an in-flight message's visibility timeout ends. */
  dueAt: number;
  /** Bumped whenever `dueAt` changes, so older heap entries are recognised as stale. */
  version: number;
  /** Nonce of the latest receipt handle; empty before the first receive. */
  receipt: string;
}

interface DueEntry {
  readonly at: number;
  readonly message: StoredMessage;
  readonly version: number;
}

interface MessageGroup {
  readonly id: string;
  messages: StoredMessage[];
  head: number;
  inflight: number;
  queued: boolean;
}

/** Decides, for each message a receive is about to deliver, whether it moves to the DLQ instead. */
export type DeadLetterCheck = (message: StoredMessage) => boolean;

export interface QueueCounts {
  readonly visible: number;
  readonly inflight: number;
  readonly delayed: number;
}

export class MessageStore {
  readonly messages = new Map<string, StoredMessage>();
  private visible = 0;
  private inflight = 0;
  private delayed = 0;
  private readonly due = new MinHeap<DueEntry>();
  private staleDue = 0;
  private ready: StoredMessage[] = [];
  private readyHead = 0;
  private readonly groups = new Map<string, MessageGroup>();
  private groupQueue: MessageGroup[] = [];
  private groupHead = 0;
  private readonly waiters = new Set<() => void>();
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  /** Set while a FIFO receive walks a group, so removals on the way do not compact its array. */
  private scanning = false;
  /** Told of every message dropped because its retention period ended (for --data-dir). */
  onExpired: ((message: StoredMessage) => void) | undefined;

  constructor(
    readonly fifo: boolean,
    private readonly clock: Clock,
  ) {}

  counts(): QueueCounts {
    this.promote(this.clock.now());
    return { visible: this.visible, inflight: this.inflight, delayed: this.delayed };
  }

  /** Sizes of the internal structures, live entries and garbage alike; for tests and diagnostics. */
  sizes(): { messages: number; ready: number; due: number; groups: number; groupQueue: number } {
    return {
      messages: this.messages.size,
      ready: this.ready.length - this.readyHead,
      due: this.due.size,
      groups: this.groups.size,
      groupQueue: this.groupQueue.length - this.groupHead,
    };
  }

  /** Adds a message in the state its `dueAt` implies. */
  add(message: StoredMessage): void {
    this.messages.set(message.id, message);
    const group = this.fifo ? this.groupOf(message.groupId ?? '', true) : undefined;
    group?.messages.push(message);
    if (message.state === 'inflight') {
      this.inflight++;
      if (group) group.inflight++;
      this.due.push({ at: message.dueAt, message, version: message.version });
    } else if (message.dueAt > this.clock.now()) {
      message.state = 'delayed';
      this.delayed++;
      this.due.push({ at: message.dueAt, message, version: message.version });
    } else {
      message.state = 'visible';
      this.visible++;
      if (group) this.queueGroup(group);
      else this.ready.push(message);
    }
    this.wake();
  }

  /** Removes a message whatever its state (delete, purge, retention, move to a DLQ). */
  remove(message: StoredMessage): void {
    if (message.state === 'gone') return;
    this.messages.delete(message.id);
    const group = this.fifo ? this.groups.get(message.groupId ?? '') : undefined;
    if (message.state === 'visible') this.visible--;
    else if (message.state === 'delayed') {
      this.delayed--;
      this.staleDue++;
    } else {
      this.inflight--;
      this.staleDue++;
      if (group) group.inflight--;
    }
    message.state = 'gone';
    if (group) this.queueGroup(group);
    this.compactDue();
  }

  removeAll(): void {
    for (const message of [...this.messages.values()]) this.remove(message);
    this.ready = [];
    this.readyHead = 0;
    this.groups.clear();
    this.groupQueue = [];
    this.groupHead = 0;
    this.due.filter(() => false);
    this.staleDue = 0;
  }

  /** Moves an in-flight message's visibility deadline; 0 seconds makes it visible now. */
  changeVisibility(message: StoredMessage, dueAt: number): void {
    message.dueAt = dueAt;
    message.version++;
    this.staleDue++;
    this.due.push({ at: dueAt, message, version: message.version });
    if (dueAt <= this.clock.now()) this.wake();
    else this.scheduleWake();
  }

  /**
   * Takes up to `max` deliverable messages and marks them in flight until `visibleAt`.
   * `retentionMs` drops messages that outlived the retention period on the way.
   */
  receive(
    max: number,
    visibleAt: number,
    retentionMs: number,
    deadLetter: DeadLetterCheck | undefined,
  ): StoredMessage[] {
    const now = this.clock.now();
    this.promote(now);
    const taken: StoredMessage[] = [];
    const expired = (message: StoredMessage) => message.sentAt + retentionMs <= now;
    if (!this.fifo) {
      while (taken.length < max && this.readyHead < this.ready.length) {
        const message = this.ready[this.readyHead]!;
        this.ready[this.readyHead++] = undefined as unknown as StoredMessage;
        if (message.state !== 'visible' || this.messages.get(message.id) !== message) continue;
        if (expired(message)) this.expire(message);
        else if (deadLetter?.(message)) continue;
        else {
          this.deliver(message, visibleAt, now, undefined);
          taken.push(message);
        }
      }
      this.compactReady();
      return taken;
    }
    while (taken.length < max && this.groupHead < this.groupQueue.length) {
      const group = this.groupQueue[this.groupHead]!;
      this.groupQueue[this.groupHead++] = undefined as unknown as MessageGroup;
      group.queued = false;
      if (this.groups.get(group.id) !== group) continue;
      this.scanning = true;
      let index = group.head;
      while (taken.length < max && index < group.messages.length) {
        const message = group.messages[index]!;
        if (message.state === 'gone') {
          if (index === group.head) group.head++;
          index++;
          continue;
        }
        if (message.state !== 'visible') break;
        if (expired(message)) {
          this.expire(message);
          continue;
        }
        if (deadLetter?.(message)) continue;
        this.deliver(message, visibleAt, now, group);
        taken.push(message);
        index++;
      }
      this.scanning = false;
      this.queueGroup(group);
    }
    this.compactGroupQueue();
    return taken;
  }

  /** Drops every message whose retention period ended (O(n); callers rate-limit it). */
  dropExpired(retentionMs: number): void {
    const limit = this.clock.now() - retentionMs;
    // Deleting the current entry while iterating a Map is safe and avoids copying a big queue.
    for (const message of this.messages.values()) if (message.sentAt <= limit) this.expire(message);
  }

  private expire(message: StoredMessage): void {
    this.remove(message);
    this.onExpired?.(message);
  }

  /** Resolves when messages may have become available, or after `ms` of real time. */
  waitForMessages(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.waiters.add(done);
      this.scheduleWake();
    });
  }

  /** Releases every long poll (queue deleted, server closing). */
  close(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    for (const waiter of [...this.waiters]) waiter();
  }

  private deliver(
    message: StoredMessage,
    visibleAt: number,
    now: number,
    group: MessageGroup | undefined,
  ): void {
    message.state = 'inflight';
    message.receiveCount++;
    message.firstReceiveAt ??= now;
    message.receivedAt = now;
    message.dueAt = visibleAt;
    message.version++;
    this.visible--;
    this.inflight++;
    if (group) group.inflight++;
    this.due.push({ at: visibleAt, message, version: message.version });
  }

  /** Turns every delayed or in-flight message whose time has come visible. */
  private promote(now: number): void {
    for (let entry = this.due.peek(); entry && entry.at <= now; entry = this.due.peek()) {
      this.due.pop();
      const message = entry.message;
      if (entry.version !== message.version || message.state === 'gone' || message.state === 'visible') {
        this.staleDue = Math.max(0, this.staleDue - 1);
        continue;
      }
      const group = this.fifo ? this.groups.get(message.groupId ?? '') : undefined;
      if (message.state === 'inflight') {
        this.inflight--;
        if (group) group.inflight--;
      } else this.delayed--;
      message.state = 'visible';
      this.visible++;
      if (group) this.queueGroup(group);
      else this.ready.push(message);
    }
  }

  private groupOf(id: string, create: boolean): MessageGroup {
    let group = this.groups.get(id);
    if (!group && create) {
      group = { id, messages: [], head: 0, inflight: 0, queued: false };
      this.groups.set(id, group);
    }
    return group!;
  }

  /** Queues a group for delivery when it can deliver; forgets it when it is empty. */
  private queueGroup(group: MessageGroup): void {
    const messages = group.messages;
    while (group.head < messages.length && messages[group.head]!.state === 'gone') group.head++;
    if (group.head >= messages.length && group.inflight === 0) {
      if (this.groups.get(group.id) === group) this.groups.delete(group.id);
      return;
    }
    if (!this.scanning && group.head > 64 && group.head * 2 > messages.length) {
      group.messages = messages.slice(group.head);
      group.head = 0;
    }
    if (group.queued) return;
    if (group.messages[group.head]?.state !== 'visible') return;
    group.queued = true;
    this.groupQueue.push(group);
  }

  private compactReady(): void {
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private compactGroupQueue(): void {
    if (this.groupHead > 1024 && this.groupHead * 2 > this.groupQueue.length) {
      this.groupQueue = this.groupQueue.slice(this.groupHead);
      this.groupHead = 0;
    }
  }

  private compactDue(): void {
    if (this.staleDue > 1024 && this.staleDue * 2 > this.due.size) {
      this.due.filter(
        (entry) =>
          entry.version === entry.message.version &&
          (entry.message.state === 'delayed' || entry.message.state === 'inflight'),
      );
      this.staleDue = 0;
    }
  }

  /** Wakes the long polls if anything is visible, else arms a timer for the next due time. */
  wake(): void {
    if (this.waiters.size === 0) return;
    this.promote(this.clock.now());
    if (this.visible > 0) {
      for (const waiter of [...this.waiters]) waiter();
    } else this.scheduleWake();
  }

  private scheduleWake(): void {
    if (this.waiters.size === 0) return;
    const next = this.due.peek();
    if (!next) return;
    // Real time drives the timer while the (possibly manual) clock decides what is due; the cap
    // keeps a manual clock that jumps forward from stranding a waiter for long.
    const delay = Math.min(Math.max(next.at - this.clock.now(), 5), 1000);
    const at = performance.now() + delay;
    if (this.wakeTimer && this.wakeAt <= at) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.wake();
    }, delay);
    this.wakeTimer.unref();
  }
}
