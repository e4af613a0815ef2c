import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbLeaseStore } from '../../packages/runtime/src/adapters/dynamodb-lease-store.js';
import { LeaseKeeper, NoFreeWorkerIdError } from '../../packages/runtime/src/core/producer/lease-keeper.js';
import type { ProducerClock } from '../../packages/runtime/src/core/producer/ports.js';
import { LEASES } from '../../packages/runtime/src/core/tables.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { createProducerTables } from './producer-resources.js';

const cloud = useTestCloud();

const draft = { type: 'points.deduct', payload: {}, key: 'k' };

async function leaseItem(table: string, workerId: number) {
  const { Item } = await cloud.clients.documents.send(
    new GetCommand({ TableName: table, Key: { pk: LEASES.itemKey(workerId) }, ConsistentRead: true }),
  );
  return Item!;
}

describe('DynamoDbLeaseStore with LeaseKeeper', () => {
  it('gives 50 concurrent acquirers 50 distinct worker ids', async () => {
    const { leasesTable } = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-many`);
    const store = new DynamoDbLeaseStore(cloud.clients.documents, leasesTable);
    // Few random probes, so the acquirers also collide on the same ids and must lose races cleanly.
    const keepers = Array.from(
      { length: 50 },
      (_, i) => new LeaseKeeper({ store, holder: `holder-${i}`, randomProbes: 1 }),
    );
    await Promise.all(keepers.map((keeper) => keeper.start()));
    const workerIds = keepers.map((keeper) => keeper.current!.workerId);
    expect(new Set(workerIds).size).toBe(50);
    for (const keeper of keepers.slice(0, 5)) {
      const item = await leaseItem(leasesTable, keeper.current!.workerId);
      expect(item).toMatchObject({
        holder: keeper.holder,
        epoch: 1,
        stream: `${keeper.current!.workerId}-1`,
      });
    }
    await Promise.all(keepers.map((keeper) => keeper.close()));
  });

  it('persists the high-water mark before stamping and closes the stream at the last stamped number', async () => {
    const { leasesTable } = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-hw`);
    const store = new DynamoDbLeaseStore(cloud.clients.documents, leasesTable);
    const keeper = new LeaseKeeper({ store, reserveBlock: 10 });
    for (let i = 0; i < 25; i++) {
      const envelope = await keeper.stamp(draft);
      const item = await leaseItem(leasesTable, keeper.current!.workerId);
      expect(envelope.seq).toBeLessThanOrEqual(Number(item.highWater));
    }
    const { workerId, stream } = keeper.current!;
    expect((await leaseItem(leasesTable, workerId)).highWater).toBe(30);
    await keeper.close();
    const item = await leaseItem(leasesTable, workerId);
    expect(item.closedStreams).toEqual({ [stream]: 25 });
    expect(item.closedBy).toEqual({ [stream]: 'release' });
    expect(item.stream).toBeUndefined();
    expect(item.leaseUntil).toBe(0);
  });

  it('lets an expired lease be taken over with a higher epoch and fences the old holder', async () => {
    const { leasesTable } = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-takeover`);
    const store = new DynamoDbLeaseStore(cloud.clients.documents, leasesTable);
    let now = Date.now();
    const clock: ProducerClock = { now: () => now, sleep: async () => undefined };
    const old = new LeaseKeeper({ store, clock, holder: 'old', leaseMs: 30_000, reserveBlock: 10 });
    for (let i = 0; i < 3; i++) await old.stamp(draft);
    const { workerId } = old.current!;

    // While the lease is live nobody else gets this worker id.
    expect(await store.tryAcquire(workerId, 'taker', now + 1_000, 30_000)).toBeUndefined();
    now += 31_000; // the old holder stalls past its lease
    const taken = await store.tryAcquire(workerId, 'taker', now, 30_000);
    expect(taken).toMatchObject({ workerId, epoch: 2, stream: `${workerId}-2` });
    let item = await leaseItem(leasesTable, workerId);
    expect(item).toMatchObject({ holder: 'taker', epoch: 2, highWater: 0 });
    // Until the old holder speaks up, its stream is closed at its last reservation.
    expect(item.closedStreams).toEqual({ [`${workerId}-1`]: 10 });
    expect(item.closedBy).toEqual({ [`${workerId}-1`]: 'takeover' });

    // The old holder's renewal fails on the epoch: it stamps nothing more on its stream, records its
    // true end, and moves on to a new lease of its own.
    const next = await old.stamp(draft);
    expect(next.producer).not.toBe(`${workerId}-1`);
    expect(next.seq).toBe(1);
    item = await leaseItem(leasesTable, workerId);
    expect(item.closedStreams).toEqual({ [`${workerId}-1`]: 3 });
    expect(item.closedBy).toEqual({ [`${workerId}-1`]: 'fenced' });
    const stale = {
      workerId,
      epoch: 1,
      holder: 'old',
      leaseUntil: 0,
      highWater: 10,
      stream: `${workerId}-1`,
    };
    expect(await store.extend(stale, now + 30_000, 20)).toBeUndefined();
    await old.close();
  });

  it('records voided sequence numbers on the lease item', async () => {
    const { leasesTable } = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-void`);
    const store = new DynamoDbLeaseStore(cloud.clients.documents, leasesTable);
    const keeper = new LeaseKeeper({ store });
    const envelopes = await keeper.stampAll([draft, draft, draft]);
    await keeper.voidStamped([envelopes[0]!, envelopes[2]!], 'test');
    await keeper.voidStamped([envelopes[1]!], 'test');
    const item = await leaseItem(leasesTable, keeper.current!.workerId);
    expect(item.voided).toEqual({ [keeper.current!.stream]: [1, 3, 2] });
    await keeper.close();
  });

  it('fails loudly when all 1024 worker ids are leased', async () => {
    const { leasesTable } = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-full`);
    const store = new DynamoDbLeaseStore(cloud.clients.documents, leasesTable);
    const now = Date.now();
    for (let start = 0; start < 1024; start += 64)
      await Promise.all(
        Array.from({ length: 64 }, (_, i) => store.tryAcquire(start + i, 'squatter', now, 3_600_000)),
      );
    await expect(new LeaseKeeper({ store, randomProbes: 0 }).start()).rejects.toThrow(NoFreeWorkerIdError);
  });
});
