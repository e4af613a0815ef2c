/**
 * Reads a request body within a size limit that applies after decompression: a gzip body is
 * inflated as it streams in and stops at the limit, so 65 KB of gzip cannot become 64 MiB in
 * memory. A body over the limit is still read to its end (and thrown away) so the client gets its
 * 413 answer on a connection that was not reset; only a client that keeps sending far beyond the
 * limit has its connection closed.
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AwsError } from './protocol.js';

/** The largest body the local cloud reads, decompressed. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Bytes of an oversized body read and discarded before giving up on the connection. */
export const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

export interface BodyLimits {
  readonly maxBytes: number;
  readonly maxDiscardBytes: number;
}

/** Why a body could not be read; `close` says the connection should not be reused. */
export class BodyError extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly close = false,
  ) {
    super(code, message, status);
  }
}

function tooLarge(limit: number, close = false): BodyError {
  return new BodyError(
    'RequestEntityTooLarge',
    `Request body exceeds the maximum size of ${limit} bytes${close ? '' : ' (after decompression)'}.`,
    413,
    close,
  );
}

/**
 * Reads `stream` to its end. `contentEncoding` `gzip` is inflated; anything else (absent,
 * `identity`) is taken as is. Rejects with a BodyError: 413 when the (decompressed) body is over
 * the limit, 400 SerializationException when a gzip body is not gzip.
 */
export function readRequestBody(
  stream: Readable,
  contentEncoding: string | undefined,
  limits: BodyLimits = { maxBytes: MAX_BODY_BYTES, maxDiscardBytes: MAX_DISCARD_BYTES },
): Promise<Buffer> {
  const gzip = contentEncoding?.trim().toLowerCase() === 'gzip';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let decoded = 0;
    let received = 0;
    let failure: BodyError | undefined;
    /** The request stream has ended (or will not be read further). */
    let ended = false;
    /** The inflater may still produce output. */
    let inflating = gzip;
    const gunzip = gzip ? createGunzip() : undefined;

    const settle = () => {
      if (!ended || inflating) return;
      if (failure) reject(failure);
      else resolve(Buffer.concat(chunks, decoded));
    };
    /** Records the first failure (a later one replaces it only when it must close the connection). */
    const fail = (error: BodyError) => {
      if (failure && !error.close) return;
      failure = error;
      chunks.length = 0;
      if (gunzip && inflating) {
        inflating = false;
        gunzip.destroy();
      }
      // The request may have ended already while the inflater was still producing.
      settle();
    };

    if (gunzip) {
      gunzip.on('data', (chunk: Buffer) => {
        if (failure) return;
        decoded += chunk.length;
        if (decoded > limits.maxBytes) fail(tooLarge(limits.maxBytes));
        else chunks.push(chunk);
      });
      gunzip.on('error', () => {
        fail(
          new BodyError(
            'SerializationException',
            'The request body is not valid gzip (Content-Encoding: gzip).',
            400,
          ),
        );
      });
      gunzip.on('end', () => {
        inflating = false;
        settle();
      });
    }

    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBytes + limits.maxDiscardBytes) {
        // A client that keeps sending: stop reading, answer, and close the connection after the answer.
        stream.pause();
        stream.removeAllListeners('data');
        ended = true;
        fail(tooLarge(limits.maxBytes, true));
        return;
      }
      if (failure) return;
      if (gunzip) {
        gunzip.write(chunk);
      } else if (received > limits.maxBytes) {
        fail(tooLarge(limits.maxBytes));
      } else {
        chunks.push(chunk);
        decoded = received;
      }
    });
    stream.on('end', () => {
      ended = true;
      if (gunzip && inflating) gunzip.end();
      settle();
    });
    stream.on('error', (error) => {
      ended = true;
      fail(
        new BodyError('RequestTimeout', `The request body could not be read: ${error.message}`, 400, true),
      );
    });
  });
}
