import type { Kysely } from 'kysely';
import { START, type Checkpoint, type EventStore } from '../eventstore/eventStore.js';
import type { DeploymentState } from './deployments.fold.js';
import { lineageNodeId, type LineageEdge, type LineageNode } from './lineage.fold.js';
import { foldedLineage, type LineageAsOf } from './lineageAsOf.js';
import { indexedLineage } from './lineageIndex.js';
import {
  applyRegistryChangeInPlace,
  type ModelState,
  type RegistryChange,
  type RegistryState,
} from './registry.fold.js';
import { registryAt } from './registryIndex.js';
import { foldedTypes, WorldFold } from './worldFold.js';
import { measuredSkew, nearestSnapshot } from './worldSnapshots.js';

/** The log as it stood at a moment: deployments, the registry and the lineage graph. */
export interface WorldAsOf {
  readonly at: string;
  readonly eventsFolded: number;
  /** Events read from the log for this answer (after the snapshot, of the folded types). */
  readonly eventsRead: number;
  /** The checkpoint of the snapshot the fold started from; null when it read the log from the start. */
  readonly fromSnapshot: string | null;
  readonly deployments: ReadonlyMap<string, DeploymentState>;
  /**
   * The model registry (versions, stages, retention); of `modelName` alone when given. Read when
   * asked: from the registry index at the snapshot with the registry events folded since it, or from
   * the fold in memory when no snapshot was used.
   */
  registry(modelName?: string): Promise<RegistryState>;
  /**
   * The lineage graph, read where a question leads: from the lineage index up to the snapshot plus
   * the events folded since it, or folded in memory when no snapshot was used.
   */
  readonly lineage: LineageAsOf;
  /** Where the time went (ms): loading the snapshot, reading the events since it, folding them. */
  readonly timings: { readonly snapshotMs: number; readonly readMs: number; readonly foldMs: number };
}

export interface DeploymentAsOf {
  readonly at: string;
  readonly deployment: DeploymentState;
  /** The model version active at `at`, or null when none was active yet. */
  readonly active: { readonly modelName: string; readonly version: number } | null;
  /** Everything the active version was made from (runs, dataset revisions, parents, evidence...). */
  readonly lineage: { readonly nodes: readonly LineageNode[]; readonly edges: readonly LineageEdge[] };
}

export interface AsOfOptions {
  /**
   * Events are appended in commit order while recordedAt is stamped before commit, so a few may be
   * out of time order. The fold reads until it has seen events this much newer than T (default 60 s).
   */
  readonly clockSkewMs?: number;
  readonly batchSize?: number;
  /** Stops the fold before its next read once aborted (throws the signal's reason): a caller's deadline. */
  readonly signal?: AbortSignal;
  /**
   * The database holding `world_snapshots`: the fold starts from the nearest snapshot before T
   * instead of the start of the log. Snapshots are derived data; the answer is the same without them.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database with the snapshot table
  readonly snapshots?: Kysely<any>;
}

/**
 * Folds the log up to time T (events with recordedAt <= T) in memory, with the same pure changes
 * the registry, deployments and lineage projections write to SQL. Never reads the read models.
 * Only the event types those folds handle are read (progress reports, the bulk of a log, are not),
 * and with `snapshots` only those after the nearest snapshot that folded nothing recorded after T:
 * every event up to that snapshot's checkpoint is then at or before T, so starting there gives the
 * answer a fold from the start would.
 */
export async function worldAsOf(
  store: EventStore,
  at: Date | string,
  options: AsOfOptions = {},
): Promise<WorldAsOf> {
  const limit = new Date(at).getTime();
  if (Number.isNaN(limit)) throw new Error(`asOf: "${String(at)}" is not a date; give an ISO 8601 timestamp`);
  const stopAfter = limit + (options.clockSkewMs ?? 60_000);
  options.signal?.throwIfAborted();
  let started = performance.now();
  const snapshot = options.snapshots ? await nearestSnapshot(options.snapshots, new Date(limit)) : undefined;
  // Up to where the snapshot writer has read, the skew it measured there replaces a larger allowance:
  // past an event recorded more than that after T, no event up to there is at or before T.
  let measured = options.snapshots ? await measuredSkew(options.snapshots) : undefined;
  const stopAfterMeasured = measured ? limit + Math.min(measured.maxSkewMs, stopAfter - limit) : stopAfter;
  // From a snapshot the registry changes are set aside: the registry is read from its index only if asked.
  const world = snapshot
    ? WorldFold.fromState(snapshot.state, snapshot.eventsFolded, { registry: false })
    : new WorldFold();
  const snapshotMs = performance.now() - started;
  let readMs = 0;
  let foldMs = 0;
  let eventsRead = 0;
  let checkpoint = snapshot?.checkpoint ?? START;
  // Pages grow from a small first one: the events up to T after a snapshot are at most its interval
  // (plus the skew's), so a query reads about what it folds, and a fold from the start few round trips.
  const largestPage = options.batchSize ?? 5000;
  let pageSize = Math.min(FIRST_PAGE, largestPage);
  for (;;) {
    options.signal?.throwIfAborted();
    started = performance.now();
    const page = await store.readAll(checkpoint, pageSize, { types: foldedTypes });
    pageSize = Math.min(pageSize * 2, largestPage);
    readMs += performance.now() - started;
    eventsRead += page.events.length;
    if (page.events.length === 0) break;
    started = performance.now();
    let beyond = false;
    let skipTo: Checkpoint | undefined;
    for (const stored of page.events) {
      const time = new Date(stored.metadata.recordedAt).getTime();
      if (time > stopAfter) {
        beyond = true;
        break;
      }
      if (measured && stored.checkpoint <= measured.upTo && time > stopAfterMeasured) {
        // Every event from here to measured.upTo is after T. A fold without the measure would stop
        // by measured.upTo (an event there is recorded past the allowance) or read on past it.
        if (measured.coversUntil > stopAfter) beyond = true;
        else skipTo = measured.upTo;
        measured = undefined;
        break;
      }
      if (time > limit) continue;
      world.apply(stored);
    }
    foldMs += performance.now() - started;
    if (beyond) break;
    checkpoint = skipTo ?? page.checkpoint;
  }
  return {
    at: new Date(limit).toISOString(),
    eventsFolded: world.eventsFolded,
    eventsRead,
    fromSnapshot: snapshot?.checkpoint ?? null,
    deployments: world.deployments,
    registry:
      snapshot && options.snapshots
        ? registryFromIndex(options.snapshots, snapshot.checkpoint, world.registryChanges)
        : async (modelName) =>
            modelName === undefined ? world.registry : onlyModel(world.registry, modelName),
    lineage:
      snapshot && options.snapshots
        ? indexedLineage(options.snapshots, snapshot.checkpoint, world.lineage)
        : foldedLineage(world.lineage),
    timings: { snapshotMs, readMs, foldMs },
  };
}

/** "Which version was active on deployment D at T, and what is its full lineage?" */
export async function deploymentAsOf(
  store: EventStore,
  deploymentName: string,
  at: Date | string,
  options: AsOfOptions = {},
): Promise<DeploymentAsOf | undefined> {
  return deploymentIn(await worldAsOf(store, at, options), deploymentName);
}

/** A deployment in a world already folded (see deploymentAsOf). */
export async function deploymentIn(
  world: WorldAsOf,
  deploymentName: string,
): Promise<DeploymentAsOf | undefined> {
  const deployment = world.deployments.get(deploymentName);
  if (!deployment) return undefined;
  const active =
    deployment.activeVersion !== null && deployment.modelName !== null
      ? { modelName: deployment.modelName, version: deployment.activeVersion }
      : null;
  const lineage = active
    ? await world.lineage.upstream(lineageNodeId.modelVersion(active.modelName, active.version))
    : { nodes: [], edges: [] };
  return { at: world.at, deployment, active, lineage };
}

/** The model registry (versions, stages, retention) as it stood at T. */
export async function registryAsOf(
  store: EventStore,
  at: Date | string,
  options: AsOfOptions = {},
): Promise<RegistryState> {
  return (await worldAsOf(store, at, options)).registry();
}

/** One model (its versions, stages, retention) as it stood at T; reads only its rows of the registry index. */
export async function modelAsOf(
  store: EventStore,
  modelName: string,
  at: Date | string,
  options: AsOfOptions = {},
): Promise<ModelState | undefined> {
  return (await (await worldAsOf(store, at, options)).registry(modelName)).get(modelName);
}

/** The first page read after the snapshot (or the start of the log); later pages double up to batchSize. */
const FIRST_PAGE = 600;

const onlyModel = (registry: RegistryState, modelName: string): RegistryState => {
  const model = registry.get(modelName);
  return model ? new Map([[modelName, model]]) : new Map();
};

/** The registry at a snapshot read from the index (once, when first asked), with the changes since. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database with the registry index
function registryFromIndex(db: Kysely<any>, upTo: Checkpoint, since: readonly RegistryChange[]) {
  const read = new Map<string | null, Promise<RegistryState>>();
  return (modelName?: string): Promise<RegistryState> => {
    const key = modelName ?? null;
    let answer = read.get(key);
    if (!answer) {
      answer = registryAt(db, upTo, modelName).then((registry) => {
        for (const change of since)
          if (modelName === undefined || change.modelName === modelName)
            applyRegistryChangeInPlace(registry, change);
        return registry;
      });
      read.set(key, answer);
    }
    return answer;
  };
}
