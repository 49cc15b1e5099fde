import { describe, expect, it } from 'vitest';
import { FreshRead } from '../../src/graphql/responseCache.js';

describe('FreshRead', () => {
  it('gives every caller a read that started after it called, sharing reads between concurrent callers', async () => {
    const finish: ((value: number) => void)[] = [];
    let started = 0;
    const fresh = new FreshRead(
      () =>
        new Promise<number>((resolve) => {
          started++;
          finish.push(resolve);
        }),
    );
    const first = fresh.get();
    expect(started).toBe(1);
    // Read 1 is in flight: these two arrived after it started, so they wait for read 2.
    const second = fresh.get();
    const third = fresh.get();
    expect(started).toBe(1);
    finish[0]!(1);
    expect(await first).toBe(1);
    await expect.poll(() => started).toBe(2);
    // Arriving while read 2 is in flight: read 3.
    const fourth = fresh.get();
    finish[1]!(2);
    expect(await second).toBe(2);
    expect(await third).toBe(2);
    await expect.poll(() => started).toBe(3);
    finish[2]!(3);
    expect(await fourth).toBe(3);
    // Nothing in flight: a new read at once.
    const fifth = fresh.get();
    expect(started).toBe(4);
    finish[3]!(4);
    expect(await fifth).toBe(4);
  });

  it('passes a failed read to its callers and reads again for the next', async () => {
    let attempt = 0;
    const fresh = new FreshRead(async () => {
      attempt++;
      if (attempt === 1) throw new Error('database gone');
      return attempt;
    });
    await expect(fresh.get()).rejects.toThrow('database gone');
    expect(await fresh.get()).toBe(2);
  });
});
