/**
 * The local cloud's guards against hostile input, below the HTTP layer: the request body reader
 * (a size limit that holds after decompression), the JSON nesting check, prototype-free
 * dictionaries and the byte-bounded cache.
 */
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ByteBoundedCache } from '../../packages/local-cloud/src/bounded-cache.js';
import {
  expressionCacheStats,
  parseCondition,
} from '../../packages/local-cloud/src/dynamodb/expression-parser.js';
import { dictionary, jsonDepthExceeds, ownValue } from '../../packages/local-cloud/src/input-limits.js';
import { BodyError, readRequestBody } from '../../packages/local-cloud/src/request-body.js';

function streamOf(...chunks: Buffer[]): PassThrough {
  const stream = new PassThrough();
  setImmediate(() => {
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
  return stream;
}

const limits = { maxBytes: 1024 * 1024, maxDiscardBytes: 4 * 1024 * 1024 };

describe('readRequestBody', () => {
  it('reads a plain body and inflates a gzip one', async () => {
    expect((await readRequestBody(streamOf(Buffer.from('{"a":1}')), undefined, limits)).toString()).toBe(
      '{"a":1}',
    );
    const zipped = gzipSync(Buffer.from('{"b":2}'));
    expect(
      (await readRequestBody(streamOf(zipped.subarray(0, 5), zipped.subarray(5)), 'gzip', limits)).toString(),
    ).toBe('{"b":2}');
  });

  it('answers a gzip header on a body that is not gzip with a SerializationException', async () => {
    const error = await readRequestBody(streamOf(Buffer.from('plain')), 'gzip', limits).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BodyError);
    expect(error).toMatchObject({ code: 'SerializationException', status: 400 });
  });

  it('stops inflating at the limit: a 64 MiB bomb is refused without being decompressed', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const before = process.memoryUsage().arrayBuffers;
    const error = await readRequestBody(streamOf(bomb), 'gzip', limits).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RequestEntityTooLarge', status: 413, close: false });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('reads an oversized body to its end (no reset) and refuses it; closes only past the discard budget', async () => {
    const oversized = streamOf(...Array.from({ length: 3 }, () => Buffer.alloc(512 * 1024)));
    await expect(readRequestBody(oversized, undefined, limits)).rejects.toMatchObject({
      status: 413,
      close: false,
    });
    expect(oversized.readableEnded).toBe(true);
    const endless = streamOf(...Array.from({ length: 12 }, () => Buffer.alloc(512 * 1024)));
    await expect(readRequestBody(endless, undefined, limits)).rejects.toMatchObject({
      status: 413,
      close: true,
    });
  });
});

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(jsonDepthExceeds('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":1}]}', 2)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(5000)}\\"["}`, 2)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(100_000), 1000)).toBe(true);
  });
});

describe('prototype-free dictionaries', () => {
  it('keep __proto__ and constructor as ordinary keys', () => {
    const map = dictionary<number>();
    for (const [key, value] of [['__proto__', 1] as const, ['constructor', 2] as const]) map[key] = value;
    expect(Object.keys(map).sort()).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(map))).toEqual(JSON.parse('{"__proto__":1,"constructor":2}'));
    expect(ownValue({} as Record<string, number>, 'toString')).toBeUndefined();
  });
});

describe('ByteBoundedCache', () => {
  it('evicts the least recently used entries to stay within its byte budget', () => {
    const cache = new ByteBoundedCache<string>(10_000, 5_000);
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, 'v', 1_000);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.get('k99')).toBe('v');
    expect(cache.get('k0')).toBeUndefined();
    cache.set('huge', 'v', 6_000);
    expect(cache.get('huge')).toBeUndefined();
  });
});

// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-expression-parameters
// (expressions up to 4 KB): 10,000 of them used to be cached whatever their length.
describe('DynamoDB expression cache', () => {
  it('stays within its byte budget however many long expressions pass through it', () => {
    // 600 expressions of ~4 KB are estimated at ~60 MB of trees: far over the budget.
    for (let i = 0; i < 600; i++) {
      const expression = `${Array.from({ length: 120 }, (_, j) => `a${i}_${j} = :v`).join(' OR ')}`.slice(
        0,
        4000,
      );
      try {
        parseCondition('ConditionExpression', expression);
      } catch {
        // A cut-off expression is a syntax error, which is cached too.
      }
    }
    const stats = expressionCacheStats();
    expect(stats.bytes).toBeLessThanOrEqual(stats.maxBytes);
    expect(stats.maxBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(stats.entries).toBeGreaterThan(0);
  });
});
