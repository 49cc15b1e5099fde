import type { ModelRef } from '../domain/index.js';
import type { GenerationPool } from './generationPool.js';
import { modelKey, type ModelResolver } from '../services/index.js';
import type { ServingMetrics } from './servingMetrics.js';

export interface ActiveModel {
  readonly deploymentName: string;
  readonly model: ModelRef;
  readonly key: string;
  readonly since: string;
}

/** A request's hold on the version it started with: a swap never pulls the weights from under it. */
export interface ModelLease {
  readonly active: ActiveModel;
  release(): void;
}

/**
 * Which version each named deployment serves, and the loaded weights behind them. activate() loads the new
 * version into every generation thread first and only then switches, so requests never wait on a load;
 * requests in flight keep their version, which is unloaded once they are done and nothing else uses it.
 */
export class ServingHost {
  private readonly actives = new Map<string, ActiveModel>();
  private readonly previous = new Map<string, string>();
  private readonly inFlight = new Map<string, number>();
  private readonly loading = new Map<string, Promise<void>>();
  private swaps: Promise<void> = Promise.resolve();
  private readonly loadedKeys = new Set<string>();

  constructor(
    private readonly pool: GenerationPool,
    private readonly resolver: ModelResolver,
    private readonly metrics?: ServingMetrics,
    /** Told of every switch (the monitors judge a new version against the one it replaced). */
    private readonly onActivated?: (deploymentName: string, model: ModelRef) => void,
  ) {}

  /** Loads a version without serving it (the deploy worker warms it before recording the activation). */
  prepare(model: ModelRef): Promise<void> {
    const key = modelKey(model);
    if (this.pool.isLoaded(key)) return Promise.resolve();
    let loading = this.loading.get(key);
    if (!loading) {
      loading = (async () => {
        await this.pool.load(await this.resolver.resolve(model));
        this.loadedKeys.add(key);
      })().finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  /** Serves `model` on the deployment from now on; idempotent. */
  activate(deploymentName: string, model: ModelRef): Promise<void> {
    const swap = this.swaps.then(async () => {
      const current = this.actives.get(deploymentName);
      if (current && current.model.name === model.name && current.model.version === model.version) return;
      await this.prepare(model);
      const key = modelKey(model);
      this.actives.set(deploymentName, {
        deploymentName,
        model: { ...model },
        key,
        since: new Date().toISOString(),
      });
      if (current) {
        this.previous.set(deploymentName, current.key);
        this.metrics?.activeVersion.remove({ deployment: deploymentName, model: current.model.name });
      }
      this.metrics?.activeVersion.set({ deployment: deploymentName, model: model.name }, model.version);
      this.onActivated?.(deploymentName, model);
      await this.collect();
    });
    this.swaps = swap.catch(() => undefined);
    return swap;
  }

  active(deploymentName: string): ActiveModel | undefined {
    return this.actives.get(deploymentName);
  }

  deployments(): ActiveModel[] {
    return [...this.actives.values()];
  }

  /** Pins the deployment's current version for one request; undefined when nothing is active there. */
  acquire(deploymentName: string): ModelLease | undefined {
    const active = this.actives.get(deploymentName);
    if (!active) return undefined;
    this.inFlight.set(active.key, (this.inFlight.get(active.key) ?? 0) + 1);
    let released = false;
    return {
      active,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inFlight.get(active.key) ?? 1) - 1;
        if (left > 0) this.inFlight.set(active.key, left);
        else {
          this.inFlight.delete(active.key);
          void this.collect();
        }
      },
    };
  }

  /** Unloads versions that no deployment serves, none keeps as its rollback target, and no request uses. */
  private async collect(): Promise<void> {
    const keep = new Set([
      ...[...this.actives.values()].map((a) => a.key),
      ...this.previous.values(),
      ...this.loading.keys(),
    ]);
    for (const key of [...this.loadedKeys]) {
      if (keep.has(key) || this.inFlight.has(key)) continue;
      this.loadedKeys.delete(key);
      await this.pool.unload(key);
    }
  }
}
