import type { Kysely } from 'kysely';
import type { Kysely as AnyKysely } from 'kysely';
import {
  ledgerInclusion,
  type EventStore,
  type InclusionProof,
  type RecordedEvent,
  type SignedCheckpoint,
  type VerifyResult,
} from '../../eventstore/index.js';
import { lineageOf, lineageNodeId, worldAsOf } from '../../projections/index.js';
import { LineageDirection } from '../types/lineage.type.js';
import { walkLineage } from './lineageWalk.js';
import { StreamSnapshots } from './streamSnapshots.js';

// Snapshots are keyed by what is stored (see StreamSnapshots), so one per process is safe.
const snapshots = new StreamSnapshots();

/** One event as the report shows it: what happened, to which stream, who did it and when. */
export interface AuditEvent {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly type: string;
  readonly actor: string;
  readonly recordedAt: string;
  readonly data: Record<string, unknown>;
  /** What an auditor needs to check the event without us: the rest of what its hash covers, and its place in the ledger. */
  readonly proof: EventProof;
}

export interface EventProof {
  readonly schemaVersion: number;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly previousHash: string | null;
  /** sha256 of the canonical JSON of the hashed fields (docs/eventstore.md); its leaf is SHA-256(0x00 || hash). */
  readonly hash: string;
  /** The data as stored and hashed, where it differs from `data` (personal fields encrypted per data subject). */
  readonly storedData?: unknown;
  /** RFC 9162 inclusion proof against `ledger.checkpoint`; null when the event is newer than that checkpoint. */
  readonly inclusion: InclusionProof | null;
}

/** The signed checkpoint the report's inclusion proofs lead to. */
export interface AuditLedger {
  /** The latest signed checkpoint; null when the ledger has none (no signing key configured). */
  readonly checkpoint: SignedCheckpoint | null;
  /** Whether the log's first checkpoint.treeSize events hash to its root. */
  readonly rootMatches: boolean;
  readonly eventsCited: number;
  /** Cited events with an inclusion proof (the others are newer than the checkpoint). */
  readonly eventsProven: number;
}

export interface AuditReport {
  readonly subject: {
    readonly modelName: string;
    readonly version: number;
    readonly deploymentName: string | null;
    readonly asOf: string | null;
  };
  readonly generatedAt: string;
  /** Dataset revisions the version was trained on (and what they derive from), with hashes, PII and transforms. */
  readonly datasetRevisions: readonly AuditEvent[];
  /**
   * Per training run: its request (configuration, stages, base model), claims (backend), stages,
   * checkpoints and outcome. Progress reports (one per step, the loss curve) are summarised in
   * `progress` and listed only with `includeProgress` (a run's curve is also `run(runId) { metrics }`).
   * Every event, progress included, is covered by the hash-chain verification in `integrity`.
   */
  readonly runs: readonly {
    readonly runId: string;
    readonly events: readonly AuditEvent[];
    readonly progress: ProgressSummary | null;
    /**
     * Registry versions the run trained with, from its request: a registry base model, PPO's reward model,
     * a DPO or PPO reference. Each is upstream in the lineage, so its own run and data are in this report.
     */
    readonly modelsUsed: readonly RunModelUse[];
  }[];
  /** Evaluations of the version, with metrics and gates. */
  readonly evaluations: readonly { readonly evaluationId: string; readonly events: readonly AuditEvent[] }[];
  /** Registration, promotions (with approvers) and archival of this version. */
  readonly registry: readonly AuditEvent[];
  /** Deployments of the version: requests, activations, degradations, rollbacks - who, when, why. */
  readonly deployments: readonly {
    readonly deploymentName: string;
    readonly events: readonly AuditEvent[];
  }[];
  /** Feedback that flowed back: interactions served by the version, and dataset revisions built from them. */
  readonly feedback: { readonly interactions: number; readonly flywheelRevisions: readonly string[] };
  /** The hash chain of every stream involved, verified now. */
  readonly integrity: readonly VerifyResult[];
  readonly allChainsIntact: boolean;
  /** The signed checkpoint every cited event's `proof.inclusion` leads to. */
  readonly ledger: AuditLedger;
}

/** A registry version a run trained with, and what for. */
export interface RunModelUse {
  readonly role: 'base-model' | 'reward-model' | 'reference-model';
  readonly modelName: string;
  readonly version: number;
}

/** The registry versions a run's request names (TrainingRunRequested's data, as recorded). */
export function modelsUsedBy(request: unknown): RunModelUse[] {
  const data = request as {
    baseModel?: { source?: { kind?: string; model?: { name: string; version: number } } };
    method?: {
      rewardModel?: { name: string; version: number };
      referenceModel?: { name: string; version: number };
    };
  };
  const uses: RunModelUse[] = [];
  const add = (role: RunModelUse['role'], model: { name: string; version: number } | undefined) => {
    if (model) uses.push({ role, modelName: model.name, version: model.version });
  };
  if (data.baseModel?.source?.kind === 'registry') add('base-model', data.baseModel.source.model);
  add('reward-model', data.method?.rewardModel);
  add('reference-model', data.method?.referenceModel);
  return uses;
}

/** What a run's progress reports add up to (null when it reported none). */
export interface ProgressSummary {
  readonly reports: number;
  readonly firstStep: number;
  readonly lastStep: number;
  readonly lastLoss: number | null;
  readonly firstRecordedAt: string;
  readonly lastRecordedAt: string;
}

const progressType = 'TrainingProgressReported';

function summariseProgress(events: readonly RecordedEvent[]): ProgressSummary | null {
  let summary: { -readonly [K in keyof ProgressSummary]: ProgressSummary[K] } | null = null;
  for (const event of events) {
    if (event.type !== progressType) continue;
    const data = (event.data ?? {}) as { step?: unknown; loss?: unknown };
    const step = typeof data.step === 'number' ? data.step : 0;
    const loss = typeof data.loss === 'number' ? data.loss : null;
    if (!summary) {
      summary = {
        reports: 0,
        firstStep: step,
        lastStep: step,
        lastLoss: loss,
        firstRecordedAt: event.metadata.recordedAt,
        lastRecordedAt: event.metadata.recordedAt,
      };
    }
    summary.reports++;
    summary.firstStep = Math.min(summary.firstStep, step);
    summary.lastStep = step;
    summary.lastLoss = loss;
    summary.lastRecordedAt = event.metadata.recordedAt;
  }
  return summary;
}

export type AuditRequest = (
  | { readonly modelName: string; readonly version: number; readonly asOf?: Date }
  | { readonly deploymentName: string; readonly asOf: Date }
) & {
  /** List every progress report in `runs[].events` too (one per step; the summary is always there). */
  readonly includeProgress?: boolean;
};

/** Interaction streams are many; the report verifies this many of them (the count says how many exist). */
const maxInteractionStreamsVerified = 100;

function streamOf(nodeId: string): string | null {
  const [kind, rest] = [nodeId.slice(0, nodeId.indexOf(':')), nodeId.slice(nodeId.indexOf(':') + 1)];
  const withoutVersion = rest.replace(/@\d+$/, '');
  switch (kind) {
    case 'dataset':
      return `dataset-${withoutVersion}`;
    case 'run':
      return `run-${rest}`;
    case 'model':
      return `model-${withoutVersion}`;
    case 'evaluation':
      return `eval-${rest}`;
    case 'deployment':
      return `deployment-${rest}`;
    case 'interaction':
      return `interaction-${rest}`;
    default:
      return null;
  }
}

/** The event as the report cites it; its inclusion proof is added once every cited event is known. */
function toAuditEvent(event: RecordedEvent, stored: RecordedEvent | undefined): AuditEvent {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const storedData =
    stored && JSON.stringify(stored.data) !== JSON.stringify(event.data) ? { storedData: stored.data } : {};
  return {
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    eventId: event.eventId,
    type: event.type,
    actor: event.metadata.actor,
    recordedAt: event.metadata.recordedAt,
    data,
    proof: {
      schemaVersion: event.schemaVersion,
      correlationId: event.metadata.correlationId,
      causationId: event.metadata.causationId,
      previousHash: event.metadata.previousHash,
      hash: event.metadata.hash,
      ...storedData,
      inclusion: null,
    },
  };
}

/** Adds each cited event's inclusion proof against the latest signed checkpoint. */
async function withInclusionProofs(
  db: Kysely<unknown>,
  report: Omit<AuditReport, 'ledger'>,
): Promise<AuditReport> {
  const cited = [
    ...report.datasetRevisions,
    ...report.runs.flatMap((run) => run.events),
    ...report.evaluations.flatMap((evaluation) => evaluation.events),
    ...report.registry,
    ...report.deployments.flatMap((deployment) => deployment.events),
  ];
  const inclusion = await ledgerInclusion(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the ledger reads the event store's tables
    db as AnyKysely<any>,
    cited.map((event) => event.proof.hash),
  );
  const prove = (events: readonly AuditEvent[]): AuditEvent[] =>
    events.map((event) => ({
      ...event,
      proof: { ...event.proof, inclusion: inclusion.proofs.get(event.proof.hash) ?? null },
    }));
  return {
    ...report,
    datasetRevisions: prove(report.datasetRevisions),
    runs: report.runs.map((run) => ({ ...run, events: prove(run.events) })),
    evaluations: report.evaluations.map((evaluation) => ({
      ...evaluation,
      events: prove(evaluation.events),
    })),
    registry: prove(report.registry),
    deployments: report.deployments.map((deployment) => ({
      ...deployment,
      events: prove(deployment.events),
    })),
    ledger: {
      checkpoint: inclusion.checkpoint ?? null,
      rootMatches: inclusion.rootMatches,
      eventsCited: cited.length,
      eventsProven: cited.filter((event) => inclusion.proofs.has(event.proof.hash)).length,
    },
  };
}

/**
 * The full chain behind a model version (or the version a deployment ran at a moment): read from
 * the lineage graph (live read model, or folded from the log for `asOf`), then from the involved
 * streams themselves, whose hash chains are verified. Returns null when the subject is unknown.
 */
export async function buildAuditReport(
  deps: { readonly store: EventStore; readonly db: Kysely<unknown> },
  request: AuditRequest,
  options: {
    /** Called with the involved streams and the fingerprint of the rows read (null: not fingerprinted). */
    readonly onStreamsRead?: (fingerprints: ReadonlyMap<string, string | null>) => void;
    /** Stops the report before its next read once aborted (throws the signal's reason): a caller's deadline. */
    readonly signal?: AbortSignal;
  } = {},
): Promise<AuditReport | null> {
  let modelName: string;
  let version: number;
  let deploymentName: string | null = null;
  const asOf = request.asOf ?? null;
  // One fold of the log for the whole report (the deployment and the lineage), from the nearest snapshot.
  const world = asOf
    ? await worldAsOf(deps.store, asOf, { signal: options.signal, snapshots: deps.db })
    : null;
  if ('deploymentName' in request) {
    const deployment = world?.deployments.get(request.deploymentName);
    if (!deployment || deployment.activeVersion === null || deployment.modelName === null) return null;
    ({ modelName, activeVersion: version } = deployment);
    deploymentName = request.deploymentName;
  } else {
    ({ modelName, version } = request);
  }
  const subjectNode = lineageNodeId.modelVersion(modelName, version);

  let upstream: string[];
  let downstream: string[];
  if (world) {
    if (!(await world.lineage.present([subjectNode])).has(subjectNode)) return null;
    upstream = (await walkLineage(world.lineage, subjectNode, LineageDirection.UPSTREAM, 50, 5000)).nodes.map(
      (n) => n.nodeId,
    );
    downstream = (
      await walkLineage(world.lineage, subjectNode, LineageDirection.DOWNSTREAM, 2, 5000)
    ).nodes.map((n) => n.nodeId);
  } else {
    const db = deps.db;
    const up = await lineageOf(db, subjectNode, { direction: 'upstream', maxDepth: 50, maxNodes: 500 });
    if (up.nodes.length === 0) return null;
    upstream = up.nodes.map((node) => node.node_id);
    const down = await lineageOf(db, subjectNode, { direction: 'downstream', maxDepth: 2, maxNodes: 500 });
    downstream = down.nodes.map((node) => node.node_id);
  }

  // Downstream beyond the version itself: evaluations, deployments, interactions and flywheel data.
  const downstreamOnly = downstream.filter((id) => id !== subjectNode);
  const interactions = downstreamOnly.filter((id) => id.startsWith('interaction:'));
  const flywheelRevisions = downstreamOnly.filter((id) => id.startsWith('dataset:'));
  const involved = new Set<string>();
  for (const id of [...upstream, ...downstreamOnly.filter((id) => !id.startsWith('interaction:'))]) {
    const stream = streamOf(id);
    if (stream) involved.add(stream);
  }
  if (deploymentName) involved.add(`deployment-${deploymentName}`);
  const verifiedInteractions = interactions.slice(0, maxInteractionStreamsVerified).map(streamOf);

  options.signal?.throwIfAborted();
  const verified = await snapshots.read(deps, [
    ...new Set([...involved, ...verifiedInteractions].filter((id): id is string => id !== null)),
  ]);
  options.onStreamsRead?.(new Map([...verified].map(([streamId, stream]) => [streamId, stream.fingerprint])));
  const streams = new Map([...verified].map(([streamId, stream]) => [streamId, stream.events]));
  const storedEvent = (event: RecordedEvent) =>
    verified.get(event.streamId)?.storedEvents?.[event.streamVersion - 1];
  const cite = (event: RecordedEvent) => toAuditEvent(event, storedEvent(event));
  const cutoff = asOf?.getTime();
  const visibleEvents = (streamId: string) => {
    const events = streams.get(streamId) ?? [];
    return cutoff === undefined
      ? events
      : events.filter((event) => new Date(event.metadata.recordedAt).getTime() <= cutoff);
  };
  const visible = (streamId: string) => visibleEvents(streamId).map(cite);

  const datasetRevisionNodes = upstream.filter((id) => id.startsWith('dataset:'));
  const datasetRevisions = datasetRevisionNodes.flatMap((id) => {
    const revision = Number(id.slice(id.lastIndexOf('@') + 1));
    return visible(streamOf(id)!).filter(
      (event) => event.type === 'DatasetRevisionAdded' && event.data.revision === revision,
    );
  });
  const byKind = (prefix: string, ids: readonly string[]) =>
    [...new Set(ids.filter((id) => id.startsWith(prefix)))].map((id) => id.slice(prefix.length));

  const report: Omit<AuditReport, 'ledger'> = {
    subject: { modelName, version, deploymentName, asOf: asOf?.toISOString() ?? null },
    generatedAt: new Date().toISOString(),
    datasetRevisions,
    runs: byKind('run:', upstream).map((runId) => {
      const events = visibleEvents(`run-${runId}`);
      return {
        runId,
        events: (request.includeProgress
          ? events
          : events.filter((event) => event.type !== progressType)
        ).map(cite),
        progress: summariseProgress(events),
        modelsUsed: modelsUsedBy(events.find((event) => event.type === 'TrainingRunRequested')?.data),
      };
    }),
    evaluations: byKind('evaluation:', [...upstream, ...downstreamOnly]).map((evaluationId) => ({
      evaluationId,
      events: visible(`eval-${evaluationId}`),
    })),
    registry: visible(`model-${modelName}`).filter((event) => event.data.version === version),
    deployments: [
      ...new Set([...byKind('deployment:', downstreamOnly), ...(deploymentName ? [deploymentName] : [])]),
    ].map((name) => ({ deploymentName: name, events: visible(`deployment-${name}`) })),
    feedback: { interactions: interactions.length, flywheelRevisions },
    integrity: [...verified.values()].map((stream) => stream.integrity),
    allChainsIntact: false,
  };
  options.signal?.throwIfAborted();
  return withInclusionProofs(deps.db, {
    ...report,
    allChainsIntact: report.integrity.every((result) => result.ok),
  });
}
