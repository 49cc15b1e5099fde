import { describe, expect, it } from 'vitest';
import { DeploymentMonitor, type Degradation, type MonitorSample } from '../../src/serving/index.js';

const v1 = { name: 'm', version: 1 };
const v2 = { name: 'm', version: 2 };
const sample = (fields: Partial<MonitorSample> = {}, at = 0): MonitorSample => ({
  latencyMs: 10,
  error: false,
  entropy: 1,
  at,
  ...fields,
});

function monitorWith(config: ConstructorParameters<typeof DeploymentMonitor>[0] = {}) {
  const found: Degradation[] = [];
  const monitor = new DeploymentMonitor({ windowSize: 4, ...config }, (d) => found.push(d));
  const feed = (model: typeof v1, samples: readonly Partial<MonitorSample>[]) =>
    samples.forEach((s, i) => monitor.observe('prod', model, sample(s, 1_700_000_000_000 + i * 1000)));
  return { monitor, found, feed };
}

describe('deployment monitor', () => {
  it('takes a version first window as its baseline and reports a rise of at least the threshold once', () => {
    const { monitor, found, feed } = monitorWith({ entropyRisePct: 15 });
    feed(v1, [{ entropy: 1 }, { entropy: 2 }, { entropy: 1 }, { entropy: 2 }]);
    expect(monitor.baselineOf('prod', v1)?.entropy).toBe(1.5);
    // 1.5 -> 1.7 is +13.3%: not yet.
    feed(v1, [{ entropy: 1.7 }, { entropy: 1.7 }, { entropy: 1.7 }, { entropy: 1.7 }]);
    expect(found).toEqual([]);
    // 1.5 -> 1.725 is exactly +15%.
    feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 1.725 })),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      metric: 'output-entropy',
      baseline: 1.5,
      model: v1,
      policy: { maxChangePct: 15 },
    });
    expect(found[0]!.current).toBeCloseTo(1.725, 12);
    expect(found[0]!.changePct).toBeCloseTo(15, 9);
    expect(found[0]!.window).toEqual({
      from: new Date(1_700_000_000_000).toISOString(),
      to: new Date(1_700_000_003_000).toISOString(),
      samples: 4,
    });
    feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 3 })),
    );
    expect(found).toHaveLength(1);
  });

  it('judges a new version first window against the baseline of the version it replaced', () => {
    const { monitor, found, feed } = monitorWith();
    feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 0.2 })),
    );
    feed(
      v2,
      Array.from({ length: 4 }, () => ({ entropy: 4 })),
    );
    expect(found.map((d) => [d.model.version, d.metric, d.baseline, d.current])).toEqual([
      [2, 'output-entropy', 0.2, 4],
    ]);
    // A degraded first window never becomes the version's own baseline.
    expect(monitor.baselineOf('prod', v2)).toBeUndefined();
    // A healthy new version adopts its first window as baseline.
    const healthy = monitorWith();
    healthy.feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 1 })),
    );
    healthy.feed(
      v2,
      Array.from({ length: 4 }, () => ({ entropy: 1.05 })),
    );
    expect(healthy.found).toEqual([]);
    expect(healthy.monitor.baselineOf('prod', v2)?.entropy).toBeCloseTo(1.05, 12);
  });

  it('after a rollback, judges the next new version against the version rolled back to', () => {
    const { found, monitor, feed } = monitorWith();
    const v3 = { name: 'm', version: 3 };
    monitor.activated('prod', v1);
    feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 0.5 })),
    );
    monitor.activated('prod', v2);
    feed(
      v2,
      Array.from({ length: 4 }, () => ({ entropy: 3 })),
    );
    monitor.activated('prod', v1);
    feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 0.5 })),
    );
    monitor.activated('prod', v3);
    feed(
      v3,
      Array.from({ length: 4 }, () => ({ entropy: 2 })),
    );
    expect(found.map((d) => [d.model.version, d.baseline, d.current])).toEqual([
      [2, 0.5, 3],
      [3, 0.5, 2],
    ]);
  });

  it('watches p99 latency and the error rate the same way', () => {
    const { found, feed } = monitorWith({ latencyRisePct: 50, errorRateRisePct: 100, minErrorRate: 0.25 });
    feed(v1, [{ latencyMs: 10 }, { latencyMs: 20 }, { latencyMs: 30 }, { latencyMs: 40 }]);
    // p99 of a 4-sample window is its largest value: 40 -> 70 is +75%.
    feed(v1, [{ latencyMs: 10 }, { latencyMs: 10 }, { latencyMs: 10 }, { latencyMs: 70 }]);
    expect(found.map((d) => [d.metric, d.baseline, d.current])).toEqual([['latency', 40, 70]]);
    // One error in four is 25%, at the floor; from a baseline of 0 any rate at the floor counts.
    feed(v1, [{ error: true }, {}, {}, {}]);
    expect(found.map((d) => d.metric)).toEqual(['latency', 'error-rate']);
    expect(found[1]).toMatchObject({ baseline: 0, current: 0.25 });
  });

  it('asks for no rollback when the policy is off', () => {
    const { found, feed } = monitorWith({ autoRollback: false });
    feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 1 })),
    );
    feed(
      v1,
      Array.from({ length: 4 }, () => ({ entropy: 2 })),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.policy).toBeUndefined();
  });
});
