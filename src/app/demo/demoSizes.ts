/** full: `tuneledger demo`; short: the same loop with fewer epochs and requests (test/app/demo.test.ts). */
export type DemoSize = 'full' | 'short';

export interface DemoSizes {
  /** Training stages of the run (learning rates for a tiny model, not the guide's defaults for real ones). */
  readonly stages: readonly Record<string, unknown>[];
  /** Interactions per monitor window. */
  readonly window: number;
  /** Requests sent to the first version. */
  readonly traffic: number;
  readonly rollbackTimeoutMs: number;
}

export function sizesFor(size: DemoSize): DemoSizes {
  const epochs = size === 'full' ? [25, 5, 4] : [10, 2, 1];
  return {
    stages: [
      {
        name: 'general',
        datasetFilter: 'all',
        learningRate: size === 'full' ? 1e-2 : 3e-2,
        batchSize: 8,
        epochs: epochs[0],
      },
      { name: 'domain', datasetFilter: 'domain', learningRate: 5e-3, batchSize: 8, epochs: epochs[1] },
      {
        name: 'robustness',
        datasetFilter: 'all',
        learningRate: 5e-3,
        batchSize: 8,
        epochs: epochs[2],
        noise: 0.05,
      },
    ],
    window: size === 'full' ? 8 : 4,
    traffic: size === 'full' ? 16 : 8,
    rollbackTimeoutMs: 180_000,
  };
}
