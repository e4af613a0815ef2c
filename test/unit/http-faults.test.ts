import { describe, expect, it } from 'vitest';
import { HttpFaultInjector } from '../../packages/local-cloud/src/faults/http-faults.js';
import { SeededRandom } from '../../packages/local-cloud/src/faults/seeded-random.js';
import type { ServiceRequest } from '../../packages/local-cloud/src/protocol.js';

const request = { operation: 'SendMessageBatch' } as ServiceRequest;

async function faultPattern(seed: number): Promise<boolean[]> {
  const injector = new HttpFaultInjector({ seed, rates: { serverError: 0.2 } });
  const pattern: boolean[] = [];
  for (let i = 0; i < 200; i++) pattern.push((await injector.before(request, 'sqs')) !== undefined);
  return pattern;
}

describe('HttpFaultInjector', () => {
  it('injects the same faults for the same seed', async () => {
    expect(await faultPattern(7)).toEqual(await faultPattern(7));
    expect(await faultPattern(7)).not.toEqual(await faultPattern(8));
  });

  it('fires at roughly its rate and counts what it injected', async () => {
    const injector = new HttpFaultInjector({ seed: 1, rates: { throttle: 0.1 } });
    let faults = 0;
    for (let i = 0; i < 5000; i++) if (await injector.before(request, 'dynamodb')) faults++;
    expect(injector.injected.throttle).toBe(faults);
    expect(faults).toBeGreaterThan(350);
    expect(faults).toBeLessThan(650);
  });

  it('replaces a committed response by an error for a lost acknowledgement', () => {
    const injector = new HttpFaultInjector({ seed: 3, rates: { lostAck: 1 } });
    const response = injector.after(request, 'sqs', { status: 200, headers: {}, body: '{}' });
    expect(response.status).toBe(500);
    expect(injector.injected.lostAck).toBe(1);
  });

  it('stops injecting once disabled', async () => {
    const injector = new HttpFaultInjector({ seed: 3, rates: { serverError: 1 } });
    injector.disable();
    expect(await injector.before(request, 'sqs')).toBeUndefined();
  });
});

describe('SeededRandom', () => {
  it('stays within the integer bounds', () => {
    const random = new SeededRandom(42);
    for (let i = 0; i < 1000; i++) {
      const value = random.integer(3, 5);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(5);
    }
  });
});
