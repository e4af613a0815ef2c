/** Building outbox items from stamped envelopes. */
import type { Envelope } from '../envelope.js';
import type { OutboxStatus } from '../tables.js';
import type { OutboxItem } from './ports.js';

/** How long outbox items are kept before TTL removes them. @default 7 days */
export const DEFAULT_OUTBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * How long after a send compensation waits for the consumer's claim before re-sending. One value
 * for the producers that stamp `nextAttemptAt` and the sweep that reads it.
 */
export const DEFAULT_COMPENSATION_DEADLINE_MS = 300_000;

export function newOutboxItem(
  envelope: Envelope,
  status: Extract<OutboxStatus, 'PENDING' | 'SENT'>,
  now: number,
  options: { retentionMs?: number; nextAttemptAt?: number } = {},
): OutboxItem {
  return {
    id: envelope.id,
    envelope: JSON.stringify(envelope),
    status,
    createdAt: now,
    ...(status === 'SENT' ? { sentAt: now } : {}),
    attempts: 0,
    nextAttemptAt: options.nextAttemptAt ?? now,
    expiresAt: Math.ceil((now + (options.retentionMs ?? DEFAULT_OUTBOX_RETENTION_MS)) / 1000),
  };
}

/** The envelope an outbox item carries. */
export function envelopeOf(item: OutboxItem): Envelope {
  return JSON.parse(item.envelope) as Envelope;
}
