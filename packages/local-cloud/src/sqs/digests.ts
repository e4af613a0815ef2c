/**
 * The MD5 digests SQS returns so clients can check that what arrived is what was sent. The
 * attribute digest hashes a canonical binary encoding, not the wire text, so it is independent of
 * the protocol (JSON or query) the message travelled over.
 */
import { createHash } from 'node:crypto';

/** A message attribute as the JSON protocol spells it; binary values are base64 text. */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * Attributes sorted by name; each one contributes its name, data type, a transport byte (1 for
 * String/Number, 2 for Binary) and its value, every variable-length part prefixed by its length as a
 * 4-byte big-endian integer.
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 */
export function md5OfAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): string {
  const hash = createHash('md5');
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name]!;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(value.DataType, 'utf8')));
    if (value.BinaryValue !== undefined && value.DataType.startsWith('Binary')) {
      hash.update(Uint8Array.of(2));
      hash.update(lengthPrefixed(Buffer.from(value.BinaryValue, 'base64')));
    } else {
      hash.update(Uint8Array.of(1));
      hash.update(lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8')));
    }
  }
  return hash.digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}
