/**
 * The message envelope every part of Oncely shares. `id`, `producer` and `seq` are stamped by the
 * producer middleware; business code supplies `type`, `payload` and the ordering `key`.
 */
import { z } from 'zod';

/** The envelope's schema; the consumer validates every body that carries the stamps with it. */
export const envelopeSchema = z.object({
  /** Snowflake id, decimal string. */
  id: z.string().regex(/^\d{1,20}$/, 'id must be a decimal Snowflake id'),
  type: z.string().min(1).max(256),
  /** Producer stream id: `<workerId>-<epoch>` of the producer's lease. */
  producer: z.string().min(1).max(128),
  /** 1, 2, 3, ... within the producer stream, without gaps. */
  seq: z.number().int().positive(),
  /** Ordering key; the MessageGroupId on FIFO queues. */
  key: z.string().min(1).max(128),
  occurredAt: z.string().datetime(),
  payload: z.unknown(),
});

/** A stamped event: what an Oncely producer sends as the message body. */
export type Envelope<TPayload = unknown> = Omit<z.infer<typeof envelopeSchema>, 'payload'> & {
  payload: TPayload;
};

/** Names of the SQS message attributes that mirror the envelope, so tools read them without parsing bodies. */
export const ENVELOPE_ATTRIBUTES = {
  id: 'oncely.id',
  type: 'oncely.type',
  producer: 'oncely.producer',
  seq: 'oncely.seq',
} as const;

/** Attributes the consumer sets when it sends a poison message to the DLQ itself. */
export const POISON_ATTRIBUTES = {
  reason: 'oncely.poison.reason',
  error: 'oncely.poison.error',
  sourceQueue: 'oncely.poison.sourceQueue',
  originalMessageId: 'oncely.poison.originalMessageId',
  receiveCount: 'oncely.poison.receiveCount',
} as const;
