/**
 * Projections: the runner that applies the log to read models, the read models themselves, their
 * typed paginated queries (for GraphQL) and time travel (the registry, deployments and lineage as
 * of a moment, folded from the log).
 */
export {
  ProjectionLagError,
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionStatus,
} from './runner.js';
export {
  type Projection,
  type AnyProjection,
  type ReadModelDb,
  type ReadModelTransaction,
  applyEach,
  defineProjection,
} from './projection.js';
export { allProjections } from './allProjections.js';
export { datasetsProjection } from './datasets.projection.js';
export { runsProjection } from './runs.projection.js';
export { evaluationsProjection } from './evaluations.projection.js';
export { registryProjection } from './registry.projection.js';
export { deploymentsProjection } from './deployments.projection.js';
export { feedbackProjection } from './feedback.projection.js';
export { jobsProjection, jobId, jobKinds, type JobKind } from './jobs.projection.js';
export { lineageProjection } from './lineage.projection.js';
export { upcastRecorded, toProjectedEvent, isOneOf, type ProjectedEvent } from './lifecycleEvent.js';
export {
  lineageChanges,
  lineageNodeId,
  LineageGraph,
  type LineageNode,
  type LineageEdge,
  type LineageNodeKind,
  type LineageRelation,
  lineageNodeKinds,
  lineageRelations,
} from './lineage.fold.js';
export {
  registryChanges,
  applyRegistryChange,
  emptyRegistry,
  type RegistryChange,
  type RegistryState,
  type ModelState,
  type ModelVersionState,
} from './registry.fold.js';
export {
  deploymentEntry,
  applyDeploymentEntry,
  type DeploymentEntry,
  deploymentStatuses,
  deploymentHistoryKinds,
  type DeploymentHistoryKind,
  type DeploymentState,
  type DeploymentStatus,
} from './deployments.fold.js';
export {
  worldAsOf,
  deploymentAsOf,
  deploymentIn,
  registryAsOf,
  modelAsOf,
  type WorldAsOf,
  type DeploymentAsOf,
  type AsOfOptions,
} from './timeTravel.js';
export type { LineageAsOf, LineageSubgraphAsOf, LineageWalkAsOf } from './lineageAsOf.js';
export { worldFoldVersion } from './worldFold.js';
export {
  writeWorldSnapshots,
  startWorldSnapshots,
  DEFAULT_SNAPSHOT_EVERY,
  type WriteSnapshotsOptions,
} from './worldSnapshots.js';
export { type Page, type PageArgs, type PageWindow, MAX_PAGE_SIZE, pageWindow } from './pagination.js';
export * from './queries.js';
export type * from './schema.js';
export { evaluationStatuses, jobStatuses, runStatuses } from './schema.js';
export {
  claimNextJob,
  finishHeldJob,
  finishJob,
  releaseJob,
  renewJobLease,
  type ClaimedJob,
} from './jobQueue.js';
