/**
 * Turns an SQS record into a validated delivery, or says why it is poison: input that can never
 * succeed however often it is retried.
 */
import type { SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { type Envelope, envelopeSchema } from '../envelope.js';
import type { EventHandler } from './event-handlers.js';
import { payloadHash } from './payload-hash.js';
import type { PoisonReason } from './ports.js';

export interface ValidDelivery {
  readonly kind: 'valid';
  readonly envelope: Envelope;
  readonly handler: EventHandler;
  /** The payload as the handler's schema parsed it. */
  readonly payload: unknown;
  /** Hash of the payload as sent (before parsing), so schema defaults cannot change it. */
  readonly payloadHash: string;
}

export interface PoisonInput {
  readonly kind: 'poison';
  readonly reason: PoisonReason;
  readonly error: string;
  /** Present when the envelope itself was valid, for logs. */
  readonly envelope?: Envelope;
}

export function parseDelivery(
  record: Pick<SQSRecord, 'body'>,
  handlers: ReadonlyMap<string, EventHandler>,
): ValidDelivery | PoisonInput {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    return { kind: 'poison', reason: 'body-not-json', error: (error as Error).message };
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success)
    return { kind: 'poison', reason: 'envelope-invalid', error: z.prettifyError(envelope.error) };
  const handler = handlers.get(envelope.data.type);
  if (!handler)
    return {
      kind: 'poison',
      reason: 'unknown-type',
      error: `no handler for type '${envelope.data.type}'`,
      envelope: envelope.data,
    };
  const payload = handler.schema.safeParse(envelope.data.payload);
  if (!payload.success)
    return {
      kind: 'poison',
      reason: 'payload-invalid',
      error: z.prettifyError(payload.error),
      envelope: envelope.data,
    };
  return {
    kind: 'valid',
    envelope: envelope.data,
    handler,
    payload: payload.data,
    payloadHash: payloadHash(envelope.data.payload),
  };
}
