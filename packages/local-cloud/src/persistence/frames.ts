/**
 * Framing of the write-ahead log: each frame is `[payload length: u32 LE][CRC-32 of payload: u32 LE]
 * [payload]`, the payload being UTF-8 JSON records separated by newlines. A frame is written by one
 * group commit and is the unit of atomicity: on recovery a frame is applied whole or not at all.
 * A crash mid-write leaves a torn last frame (short, or with a checksum that does not match); reading
 * stops there.
 */
import { crc32 } from 'node:zlib';

/** First bytes of every log file, so a foreign or truncated-at-creation file is recognised. */
export const LOG_MAGIC = Buffer.from('ONCWAL1\n', 'latin1');
export const FRAME_HEADER_BYTES = 8;

export function encodeFrame(lines: readonly string[]): Buffer {
  const payload = Buffer.from(lines.join('\n'), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodedLog {
  /** The records of every intact frame, in order (each a JSON text). */
  readonly lines: string[];
  /** Intact frames: one per group commit. */
  readonly frames: number;
  /** Bytes up to the end of the last intact frame. */
  readonly validBytes: number;
  /** Why reading stopped before the end of the data: a torn or corrupt frame. */
  readonly damage?: string;
}

/** Reads the frames of a whole log file; stops at the first frame that is short or fails its checksum. */
export function decodeLog(data: Buffer): DecodedLog {
  if (data.length < LOG_MAGIC.length) {
    // Created but the magic never reached the disk: an empty log.
    return data.length === 0 || LOG_MAGIC.subarray(0, data.length).equals(data)
      ? { lines: [], frames: 0, validBytes: data.length }
      : { lines: [], frames: 0, validBytes: 0, damage: 'not an Oncely log (bad magic)' };
  }
  if (!data.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)) {
    return { lines: [], frames: 0, validBytes: 0, damage: 'not an Oncely log (bad magic)' };
  }
  const lines: string[] = [];
  let frames = 0;
  let offset = LOG_MAGIC.length;
  while (offset < data.length) {
    if (data.length - offset < FRAME_HEADER_BYTES) {
      return { lines, frames, validBytes: offset, damage: `torn frame header at byte ${offset}` };
    }
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (end > data.length) {
      return {
        lines,
        frames,
        validBytes: offset,
        damage: `torn frame at byte ${offset} (${length} bytes announced, ${data.length - offset - FRAME_HEADER_BYTES} present)`,
      };
    }
    const payload = data.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== checksum) {
      return {
        lines,
        frames,
        validBytes: offset,
        damage: `checksum mismatch in the frame at byte ${offset}`,
      };
    }
    if (length > 0) lines.push(...payload.toString('utf8').split('\n'));
    frames++;
    offset = end;
  }
  return { lines, frames, validBytes: offset };
}
