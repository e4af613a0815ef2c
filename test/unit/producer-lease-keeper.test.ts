import { describe, expect, it } from 'vitest';
import {
  LeaseKeeper,
  LeaseUnavailableError,
  NoFreeWorkerIdError,
} from '../../packages/runtime/src/core/producer/lease-keeper.js';
import { decodeSnowflake, type SnowflakeClock } from '../../packages/runtime/src/core/snowflake.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { InMemoryLeaseStore, ManualProducerClock } from './producer-fakes.js';

function keeperOn(
  store: InMemoryLeaseStore,
  clock: ManualProducerClock,
  holder: string,
  reserveBlock = 100,
  telemetry = new RecordingTelemetry(),
) {
  const idClock: SnowflakeClock = {
    now: () => clock.current,
    waitUntil: (ms) => {
      clock.current = Math.max(clock.current, ms);
    },
  };
  return new LeaseKeeper({
    store,
    clock,
    idClock,
    holder,
    leaseMs: 30_000,
    safetyMarginMs: 2_000,
    reserveBlock,
    telemetry,
  });
}

const draft = { type: 'points.deduct', payload: { n: 1 }, key: 'account-1' };

/** Leases every worker id except `free` to someone who stays alive. */
function occupyAllBut(store: InMemoryLeaseStore, free: number, until: number) {
  for (let workerId = 0; workerId < 1024; workerId++) {
    if (workerId === free) continue;
    void store.tryAcquire(workerId, 'someone-else', 0, until);
  }
}

describe('LeaseKeeper', () => {
  it('stamps gap-free sequence numbers of one stream with increasing ids and the lease as producer', async () => {
    const store = new InMemoryLeaseStore();
    const keeper = keeperOn(store, new ManualProducerClock(), 'a');
    const envelopes = [];
    for (let i = 0; i < 250; i++) envelopes.push(await keeper.stamp(draft));
    const lease = keeper.current!;
    expect(envelopes.map((e) => e.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(new Set(envelopes.map((e) => e.producer))).toEqual(new Set([`${lease.workerId}-1`]));
    for (let i = 1; i < envelopes.length; i++)
      expect(BigInt(envelopes[i]!.id) > BigInt(envelopes[i - 1]!.id)).toBe(true);
    expect(decodeSnowflake(envelopes[0]!.id).workerId).toBe(lease.workerId);
  });

  it('persists the high-water mark before stamping a sequence number, one write per block', async () => {
    const store = new InMemoryLeaseStore();
    const keeper = keeperOn(store, new ManualProducerClock(), 'a', 100);
    for (let i = 0; i < 250; i++) {
      const envelope = await keeper.stamp(draft);
      expect(envelope.seq).toBeLessThanOrEqual(store.rows.get(keeper.current!.workerId)!.highWater);
    }
    expect(store.extendCalls).toBe(3);
    expect(store.rows.get(keeper.current!.workerId)!.highWater).toBe(300);
  });

  it('stamps concurrent publishes with distinct consecutive sequence numbers', async () => {
    const keeper = keeperOn(new InMemoryLeaseStore(), new ManualProducerClock(), 'a', 7);
    const envelopes = await Promise.all(Array.from({ length: 60 }, () => keeper.stamp(draft)));
    expect(envelopes.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    expect(new Set(envelopes.map((e) => e.id)).size).toBe(60);
  });

  it('gives 50 concurrent acquirers 50 distinct worker ids', async () => {
    const store = new InMemoryLeaseStore();
    const clock = new ManualProducerClock();
    const keepers = Array.from({ length: 50 }, (_, i) => keeperOn(store, clock, `holder-${i}`));
    await Promise.all(keepers.map((keeper) => keeper.start()));
    expect(new Set(keepers.map((keeper) => keeper.current!.workerId)).size).toBe(50);
  });

  it('lets another producer take an expired lease with a higher epoch and fences the old holder', async () => {
    const store = new InMemoryLeaseStore();
    const clock = new ManualProducerClock();
    const old = keeperOn(store, clock, 'old');
    await old.start();
    const workerId = old.current!.workerId;
    for (let i = 0; i < 3; i++) await old.stamp(draft);
    occupyAllBut(store, workerId, Number.MAX_SAFE_INTEGER);

    clock.current += 31_000; // the old holder stalled (e.g. a frozen Lambda) past its lease
    const taker = keeperOn(store, clock, 'taker');
    await taker.start();
    expect(taker.current).toMatchObject({ workerId, epoch: 2, stream: `${workerId}-2` });
    const row = store.rows.get(workerId)!;
    expect(row.closedBy.get(`${workerId}-1`)).toBe('takeover');

    // The old holder wakes up: its renewal fails, it stops stamping on its stream and records where it ended.
    await expect(old.stamp(draft)).rejects.toThrow(NoFreeWorkerIdError);
    expect(row.closedStreams.get(`${workerId}-1`)).toBe(3);
    expect(row.closedBy.get(`${workerId}-1`)).toBe('fenced');
    expect((await taker.stamp(draft)).producer).toBe(`${workerId}-2`);
  });

  it('refuses to stamp once its lease can no longer be confirmed', async () => {
    const store = new InMemoryLeaseStore();
    const clock = new ManualProducerClock();
    const keeper = keeperOn(store, clock, 'a');
    await keeper.stamp(draft);
    store.failExtends = true;
    clock.current += 28_001; // past leaseMs - safetyMarginMs
    await expect(keeper.stamp(draft)).rejects.toThrow(LeaseUnavailableError);
    store.failExtends = false;
    expect((await keeper.stamp(draft)).seq).toBe(2);
  });

  it('reports a failed background renewal while the lease is still valid, and goes on stamping', async () => {
    const store = new InMemoryLeaseStore();
    const clock = new ManualProducerClock();
    const telemetry = new RecordingTelemetry();
    const keeper = keeperOn(store, clock, 'a', 100, telemetry);
    await keeper.stamp(draft);
    store.failExtends = true;
    clock.current += 20_000; // inside the renewal window, well before the lease runs out
    expect((await keeper.stamp(draft)).seq).toBe(2);
    store.failExtends = false;
    await keeper.close(); // waits for the background renewal to settle
    expect(telemetry.get('LeaseRenewalFailed')).toBe(1);
    expect(telemetry.logs).toMatchObject([
      {
        level: 'error',
        message: 'lease renewal failed; lease still valid',
        fields: { error: 'Error: store unreachable' },
      },
    ]);
  });

  it('reports a fenced stream whose end could not be recorded', async () => {
    const store = new InMemoryLeaseStore();
    const clock = new ManualProducerClock();
    const telemetry = new RecordingTelemetry();
    const old = keeperOn(store, clock, 'old', 100, telemetry);
    await old.start();
    const workerId = old.current!.workerId;
    await old.stamp(draft);
    occupyAllBut(store, workerId, Number.MAX_SAFE_INTEGER);
    clock.current += 31_000;
    await keeperOn(store, clock, 'taker').start();
    store.failCloseStream = true;
    await expect(old.stamp(draft)).rejects.toThrow(NoFreeWorkerIdError);
    expect(telemetry.get('StreamCloseFailed')).toBe(1);
    expect(telemetry.logs[0]).toMatchObject({
      level: 'error',
      fields: { stream: `${workerId}-1`, lastStamped: 1 },
    });
  });

  it('releases on close, recording the last stamped number so the unused reservation is void', async () => {
    const store = new InMemoryLeaseStore();
    const keeper = keeperOn(store, new ManualProducerClock(), 'a');
    for (let i = 0; i < 3; i++) await keeper.stamp(draft);
    const { workerId, stream } = keeper.current!;
    await keeper.close();
    const row = store.rows.get(workerId)!;
    expect(row.closedStreams.get(stream)).toBe(3);
    expect(row.closedBy.get(stream)).toBe('release');
    expect(row.leaseUntil).toBe(0);
    await expect(keeper.stamp(draft)).rejects.toThrow(/closed/);
  });

  it('records voided sequence numbers per stream', async () => {
    const store = new InMemoryLeaseStore();
    const keeper = keeperOn(store, new ManualProducerClock(), 'a');
    const envelopes = await keeper.stampAll([draft, draft]);
    await keeper.voidStamped(envelopes, 'transaction cancelled');
    expect(store.rows.get(keeper.current!.workerId)!.voided.get(keeper.current!.stream)).toEqual([1, 2]);
  });
});
