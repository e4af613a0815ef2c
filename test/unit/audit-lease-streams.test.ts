import { describe, expect, it } from 'vitest';
import { streamsOfLease } from '../../packages/runtime/src/adapters/dynamodb-audit-store.js';

describe('streamsOfLease', () => {
  it('reads the live stream as a reservation and closed streams as exact unless taken over', () => {
    const streams = streamsOfLease({
      pk: 'worker#7',
      stream: '7-3',
      highWater: 200,
      closedStreams: { '7-1': 40, '7-2': 100 },
      closedBy: { '7-1': 'release', '7-2': 'takeover' },
      voided: { '7-1': [38, 39], '7-3': [150] },
    });
    expect(streams).toEqual([
      { producer: '7-3', highWater: 200, closed: false, exactHighWater: false, voided: [150] },
      { producer: '7-1', highWater: 40, closed: true, exactHighWater: true, voided: [38, 39] },
      { producer: '7-2', highWater: 100, closed: true, exactHighWater: false, voided: [] },
    ]);
  });

  it('reads a released lease (no live stream) and tolerates missing maps', () => {
    expect(
      streamsOfLease({ pk: 'worker#1', closedStreams: { '1-1': 5 }, closedBy: { '1-1': 'fenced' } }),
    ).toEqual([{ producer: '1-1', highWater: 5, closed: true, exactHighWater: true, voided: [] }]);
    expect(streamsOfLease({ pk: 'worker#2' })).toEqual([]);
  });
});
