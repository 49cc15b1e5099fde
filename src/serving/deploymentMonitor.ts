import { z } from 'zod';
import { changePercent, isWorse, type DegradationMetric, type ModelRef } from '../domain/index.js';

export const monitorConfigSchema = z.object({
  /** Interactions per window; the first window of a version is its baseline. */
  windowSize: z.int().min(2).default(20),
  /** Rise of mean output entropy, in percent, that counts as a degradation. */
  entropyRisePct: z.number().positive().default(15),
  /** Rise of the window's p99 latency, in percent. */
  latencyRisePct: z.number().positive().default(100),
  /** Rise of the error rate, in percent, once the rate is at least minErrorRate. */
  errorRateRisePct: z.number().positive().default(100),
  minErrorRate: z.number().min(0).max(1).default(0.05),
  /** Record a rollback request along with the degradation (the rollback worker then acts on it). */
  autoRollback: z.boolean().default(true),
});
export type MonitorConfig = z.input<typeof monitorConfigSchema>;

export interface MonitorSample {
  readonly entropy?: number;
  readonly latencyMs: number;
  readonly error: boolean;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** A degradation the monitor found, ready for DeploymentService.detectDegradation. */
export interface Degradation {
  readonly deploymentName: string;
  readonly model: ModelRef;
  readonly metric: DegradationMetric;
  readonly baseline: number;
  readonly current: number;
  readonly changePct: number;
  readonly window: { readonly from: string; readonly to: string; readonly samples: number };
  /** Set when the auto-rollback policy is on: the threshold the domain checks again. */
  readonly policy?: { readonly maxChangePct: number };
  /** Distinguishes reports: one per deployment, version, metric and window. */
  readonly key: string;
}

interface WindowStats {
  readonly entropy: number | undefined;
  readonly latencyP99: number;
  readonly errorRate: number;
}

interface VersionTrack {
  readonly model: ModelRef;
  samples: MonitorSample[];
  windows: number;
  baseline: WindowStats | undefined;
  /** Metrics already reported for this version: one report each, until it is replaced. */
  readonly reported: Set<DegradationMetric>;
}

/**
 * Rolling-window monitors per deployment: the mean output entropy, the p99 latency and the error rate of
 * each full window are compared with a baseline, the version's own first window; a new version's first
 * window is compared with the baseline of the version it replaced, so a version that is bad from its first
 * request is caught within one window.
 */
export class DeploymentMonitor {
  readonly config: z.output<typeof monitorConfigSchema>;
  private readonly tracks = new Map<string, VersionTrack>();
  private readonly current = new Map<string, string>();
  private readonly previous = new Map<string, string>();

  constructor(
    config: MonitorConfig = {},
    private readonly onDegradation: (degradation: Degradation) => void,
  ) {
    this.config = monitorConfigSchema.parse(config);
  }

  /**
   * The deployment now serves `model` (an activation or a rollback): its next new-version window is judged
   * against the baseline of the version served before.
   */
  activated(deploymentName: string, model: ModelRef): void {
    const key = trackKey(deploymentName, model);
    const currentKey = this.current.get(deploymentName);
    if (currentKey === key) return;
    if (currentKey !== undefined) this.previous.set(deploymentName, currentKey);
    this.current.set(deploymentName, key);
  }

  observe(deploymentName: string, model: ModelRef, sample: MonitorSample): void {
    const key = trackKey(deploymentName, model);
    // A version never seen before is taken as activated, in case no notice came. Late samples of a replaced
    // version still count for it, but never make it current again.
    if (!this.tracks.has(key)) this.activated(deploymentName, model);
    let track = this.tracks.get(key);
    if (!track) {
      track = { model: { ...model }, samples: [], windows: 0, baseline: undefined, reported: new Set() };
      this.tracks.set(key, track);
    }
    track.samples.push(sample);
    if (track.samples.length >= this.config.windowSize) this.closeWindow(deploymentName, key, track);
  }

  /** The baseline a version is judged against now, for reports and tests. */
  baselineOf(deploymentName: string, model: ModelRef): WindowStats | undefined {
    return this.tracks.get(trackKey(deploymentName, model))?.baseline;
  }

  private closeWindow(deploymentName: string, key: string, track: VersionTrack): void {
    const samples = track.samples;
    track.samples = [];
    track.windows++;
    const stats = windowStats(samples);
    const previousKey = this.previous.get(deploymentName);
    const reference =
      track.baseline ??
      (previousKey && previousKey !== key ? this.tracks.get(previousKey)?.baseline : undefined);
    if (!reference) {
      track.baseline = stats;
      return;
    }
    const window = {
      from: new Date(samples[0]!.at).toISOString(),
      to: new Date(samples[samples.length - 1]!.at).toISOString(),
      samples: samples.length,
    };
    const checks: [DegradationMetric, number | undefined, number | undefined, number][] = [
      ['output-entropy', reference.entropy, stats.entropy, this.config.entropyRisePct],
      ['latency', reference.latencyP99, stats.latencyP99, this.config.latencyRisePct],
      ['error-rate', reference.errorRate, stats.errorRate, this.config.errorRateRisePct],
    ];
    let degraded = false;
    for (const [metric, baseline, current, threshold] of checks) {
      if (baseline === undefined || current === undefined) continue;
      if (metric === 'error-rate' && current < this.config.minErrorRate) continue;
      const changePct = changePercent(baseline, current);
      if (!isWorse(metric, changePct, threshold)) continue;
      degraded = true;
      if (track.reported.has(metric)) continue;
      track.reported.add(metric);
      this.onDegradation({
        deploymentName,
        model: { ...track.model },
        metric,
        baseline,
        current,
        changePct,
        window,
        ...(this.config.autoRollback ? { policy: { maxChangePct: threshold } } : {}),
        key: `${key}:${metric}:${track.windows}`,
      });
    }
    if (!track.baseline && !degraded) track.baseline = stats;
  }
}

const trackKey = (deploymentName: string, model: ModelRef) =>
  `${deploymentName}/${model.name}@${model.version}`;

function windowStats(samples: readonly MonitorSample[]): WindowStats {
  const entropies = samples.map((s) => s.entropy).filter((e): e is number => e !== undefined);
  const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  return {
    entropy: entropies.length > 0 ? entropies.reduce((a, b) => a + b, 0) / entropies.length : undefined,
    latencyP99: latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)]!,
    errorRate: samples.filter((s) => s.error).length / samples.length,
  };
}
