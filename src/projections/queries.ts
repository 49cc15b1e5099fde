import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { ReadModelDb } from './projection.js';
import { paginate, pageSize, type Page, type PageArgs } from './pagination.js';
import type {
  DatasetRevisionsTable,
  DatasetsTable,
  DeploymentHistoryTable,
  DeploymentsTable,
  EvaluationsTable,
  FeedbackLabelsTable,
  InteractionsTable,
  JobStatus,
  JobsTable,
  LineageEdgesTable,
  LineageNodesTable,
  ModelVersionsTable,
  ModelsTable,
  PreferencePromptsTable,
  PreferenceRankingsTable,
  ReadModelDatabase,
  RunCheckpointsTable,
  RunMetricsTable,
  RunStatus,
  RunsTable,
} from './schema.js';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- callers hold the shared database with every area's tables
type AnyDb = import('kysely').Kysely<any>;

export type Dataset = Selectable<DatasetsTable>;
export type DatasetRevision = Selectable<DatasetRevisionsTable>;
export type Run = Selectable<RunsTable>;
export type RunMetric = Selectable<RunMetricsTable>;
export type RunCheckpoint = Selectable<RunCheckpointsTable>;
export type Evaluation = Selectable<EvaluationsTable>;
export type Model = Selectable<ModelsTable>;
export type ModelVersion = Selectable<ModelVersionsTable>;
export type Deployment = Selectable<DeploymentsTable>;
export type DeploymentHistoryEntry = Selectable<DeploymentHistoryTable>;
export type Interaction = Selectable<InteractionsTable>;
export type FeedbackLabelRow = Selectable<FeedbackLabelsTable>;
export type PreferencePrompt = Selectable<PreferencePromptsTable>;
export type PreferenceRanking = Selectable<PreferenceRankingsTable>;
export type Job = Selectable<JobsTable>;
export type LineageNodeRow = Selectable<LineageNodesTable>;
export type LineageEdgeRow = Selectable<LineageEdgesTable>;

const read = (db: AnyDb) => db as ReadModelDb;
const iso = (value: Date) => value.toISOString();

/** A time window on a list: rows strictly after `after` and strictly before `before` (either may be left out). */
export interface TimeRange {
  readonly after?: Date;
  readonly before?: Date;
}

/** Checks a window before it reaches SQL: a window that ends before it starts is the caller's mistake. */
export function checkTimeRange(range: TimeRange | undefined, what: string): void {
  if (!range) return;
  for (const [name, value] of Object.entries(range)) {
    if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) {
      throw new Error(`${what}: ${name} must be a valid date`);
    }
  }
  if (range.after && range.before && range.after.getTime() >= range.before.getTime()) {
    throw new Error(
      `${what}: the window is empty: after (${range.after.toISOString()}) must be earlier than before (${range.before.toISOString()})`,
    );
  }
}

/** Adds `column > after` and `column < before` to a read-model query. */
function within<Table extends keyof ReadModelDatabase, Row>(
  query: SelectQueryBuilder<ReadModelDatabase, Table, Row>,
  column: string,
  range: TimeRange | undefined,
): SelectQueryBuilder<ReadModelDatabase, Table, Row> {
  let q = query;
  if (range?.after) q = q.where(sql<boolean>`${sql.ref(column)} > ${range.after.toISOString()}::timestamptz`);
  if (range?.before)
    q = q.where(sql<boolean>`${sql.ref(column)} < ${range.before.toISOString()}::timestamptz`);
  return q;
}

// Datasets

export function listDatasets(
  db: AnyDb,
  args: PageArgs & { includeArchived?: boolean; registered?: TimeRange } = {},
): Promise<Page<Dataset>> {
  checkTimeRange(args.registered, 'registered');
  let q = read(db).selectFrom('datasets').selectAll();
  if (!args.includeArchived) q = q.where('archived', '=', false);
  q = within(q, 'registered_at', args.registered);
  return paginate(q, ['registered_at', 'dataset_id'], (r) => [iso(r.registered_at), r.dataset_id], args);
}

export function getDataset(db: AnyDb, datasetId: string): Promise<Dataset | undefined> {
  return read(db).selectFrom('datasets').selectAll().where('dataset_id', '=', datasetId).executeTakeFirst();
}

export function listDatasetRevisions(
  db: AnyDb,
  datasetId: string,
  args: PageArgs = {},
): Promise<Page<DatasetRevision>> {
  const q = read(db).selectFrom('dataset_revisions').selectAll().where('dataset_id', '=', datasetId);
  return paginate(q, ['revision'], (r) => [r.revision], args);
}

export function getDatasetRevision(
  db: AnyDb,
  datasetId: string,
  revision: number,
): Promise<DatasetRevision | undefined> {
  return read(db)
    .selectFrom('dataset_revisions')
    .selectAll()
    .where('dataset_id', '=', datasetId)
    .where('revision', '=', revision)
    .executeTakeFirst();
}

// Runs

export type RunColumn = keyof Run & string;

/**
 * A page of runs. With `columns`, only those (and the page keys, requested_at and run_id) are
 * read: the other properties of the rows are then absent (a runs table page is mostly its JSON
 * method and stages, and timestamps, which nobody listing runs may have asked for).
 */
export function listRuns(
  db: AnyDb,
  args: PageArgs & {
    status?: RunStatus;
    datasetId?: string;
    kind?: string;
    requested?: TimeRange;
    columns?: readonly RunColumn[];
  } = {},
): Promise<Page<Run>> {
  checkTimeRange(args.requested, 'requested');
  const from = read(db).selectFrom('runs');
  const selected = (args.columns
    ? from.select([...new Set<RunColumn>(['requested_at', 'run_id', ...args.columns])])
    : from.selectAll()) as unknown as SelectQueryBuilder<ReadModelDatabase, 'runs', Run>;
  let q = within(selected, 'requested_at', args.requested);
  if (args.status) q = q.where('status', '=', args.status);
  if (args.datasetId) q = q.where('dataset_id', '=', args.datasetId);
  if (args.kind) q = q.where('kind', '=', args.kind);
  return paginate(q, ['requested_at', 'run_id'], (r) => [iso(r.requested_at), r.run_id], args);
}

export function getRun(db: AnyDb, runId: string): Promise<Run | undefined> {
  return read(db).selectFrom('runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
}

export type RunMetricColumn = keyof RunMetric & string;

/**
 * The metric series of a run by step (loss, entity loss, learning rate, grad norm, tokens/s).
 * With `columns`, only those (and `step`, the key) are read: the other properties of the rows are
 * then absent, which saves parsing columns nobody asked for on long series.
 */
export function runMetrics(
  db: AnyDb,
  runId: string,
  args: PageArgs & { fromStep?: number; toStep?: number; columns?: readonly RunMetricColumn[] } = {},
): Promise<Page<RunMetric>> {
  const from = read(db).selectFrom('run_metrics');
  let q = (args.columns
    ? from.select([...new Set<RunMetricColumn>(['step', ...args.columns])])
    : from.selectAll()
  ).where('run_id', '=', runId) as unknown as SelectQueryBuilder<ReadModelDatabase, 'run_metrics', RunMetric>;
  if (args.fromStep !== undefined) q = q.where('step', '>=', args.fromStep);
  if (args.toStep !== undefined) q = q.where('step', '<=', args.toStep);
  return paginate(q, ['step'], (r) => [r.step], args);
}

export function runCheckpoints(db: AnyDb, runId: string): Promise<RunCheckpoint[]> {
  return read(db)
    .selectFrom('run_checkpoints')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('step')
    .execute();
}

// Evaluations

export function listEvaluations(
  db: AnyDb,
  args: PageArgs & {
    modelName?: string;
    modelVersion?: number;
    status?: Evaluation['status'];
    requested?: TimeRange;
  } = {},
): Promise<Page<Evaluation>> {
  checkTimeRange(args.requested, 'requested');
  let q = within(read(db).selectFrom('evaluations').selectAll(), 'requested_at', args.requested);
  if (args.modelName) q = q.where('model_name', '=', args.modelName);
  if (args.modelVersion !== undefined) q = q.where('model_version', '=', args.modelVersion);
  if (args.status) q = q.where('status', '=', args.status);
  return paginate(q, ['requested_at', 'evaluation_id'], (r) => [iso(r.requested_at), r.evaluation_id], args);
}

export function getEvaluation(db: AnyDb, evaluationId: string): Promise<Evaluation | undefined> {
  return read(db)
    .selectFrom('evaluations')
    .selectAll()
    .where('evaluation_id', '=', evaluationId)
    .executeTakeFirst();
}

// Model registry

export function listModels(db: AnyDb, args: PageArgs = {}): Promise<Page<Model>> {
  return paginate(read(db).selectFrom('models').selectAll(), ['model_name'], (r) => [r.model_name], args);
}

export function getModel(db: AnyDb, modelName: string): Promise<Model | undefined> {
  return read(db).selectFrom('models').selectAll().where('model_name', '=', modelName).executeTakeFirst();
}

export function listModelVersions(
  db: AnyDb,
  modelName: string,
  args: PageArgs & { retainedOnly?: boolean } = {},
): Promise<Page<ModelVersion>> {
  let q = read(db).selectFrom('model_versions').selectAll().where('model_name', '=', modelName);
  if (args.retainedOnly) q = q.where('retained', '=', true);
  return paginate(q, ['version'], (r) => [r.version], args);
}

export function getModelVersion(
  db: AnyDb,
  modelName: string,
  version: number,
): Promise<ModelVersion | undefined> {
  return read(db)
    .selectFrom('model_versions')
    .selectAll()
    .where('model_name', '=', modelName)
    .where('version', '=', version)
    .executeTakeFirst();
}

// Deployments

export function listDeployments(db: AnyDb, args: PageArgs = {}): Promise<Page<Deployment>> {
  return paginate(
    read(db).selectFrom('deployments').selectAll(),
    ['deployment_name'],
    (r) => [r.deployment_name],
    args,
  );
}

export function getDeployment(db: AnyDb, deploymentName: string): Promise<Deployment | undefined> {
  return read(db)
    .selectFrom('deployments')
    .selectAll()
    .where('deployment_name', '=', deploymentName)
    .executeTakeFirst();
}

export function deploymentHistory(
  db: AnyDb,
  deploymentName: string,
  args: PageArgs & { recorded?: TimeRange } = {},
): Promise<Page<DeploymentHistoryEntry>> {
  checkTimeRange(args.recorded, 'recorded');
  const q = within(
    read(db).selectFrom('deployment_history').selectAll().where('deployment_name', '=', deploymentName),
    'recorded_at',
    args.recorded,
  );
  return paginate(q, ['stream_version'], (r) => [r.stream_version], args);
}

// Feedback and preferences

export function listInteractions(
  db: AnyDb,
  args: PageArgs & {
    modelName?: string;
    modelVersion?: number;
    deploymentName?: string;
    labelledOnly?: boolean;
    recorded?: TimeRange;
  } = {},
): Promise<Page<Interaction>> {
  checkTimeRange(args.recorded, 'recorded');
  let q = within(read(db).selectFrom('interactions').selectAll(), 'recorded_at', args.recorded);
  if (args.modelName) q = q.where('model_name', '=', args.modelName);
  if (args.modelVersion !== undefined) q = q.where('model_version', '=', args.modelVersion);
  if (args.deploymentName) q = q.where('deployment_name', '=', args.deploymentName);
  if (args.labelledOnly) q = q.where('label_count', '>', 0);
  return paginate(q, ['recorded_at', 'interaction_id'], (r) => [iso(r.recorded_at), r.interaction_id], args);
}

export function getInteraction(db: AnyDb, interactionId: string): Promise<Interaction | undefined> {
  return read(db)
    .selectFrom('interactions')
    .selectAll()
    .where('interaction_id', '=', interactionId)
    .executeTakeFirst();
}

export function interactionLabels(db: AnyDb, interactionId: string): Promise<FeedbackLabelRow[]> {
  return read(db)
    .selectFrom('feedback_labels')
    .selectAll()
    .where('interaction_id', '=', interactionId)
    .orderBy('labeled_at')
    .orderBy('event_id')
    .execute();
}

export function listPreferencePrompts(
  db: AnyDb,
  args: PageArgs & { rankedOnly?: boolean } = {},
): Promise<Page<PreferencePrompt>> {
  let q = read(db).selectFrom('preference_prompts').selectAll();
  if (args.rankedOnly) q = q.where('ranking_count', '>', 0);
  return paginate(q, ['generated_at', 'prompt_id'], (r) => [iso(r.generated_at), r.prompt_id], args);
}

export function getPreferencePrompt(db: AnyDb, promptId: string): Promise<PreferencePrompt | undefined> {
  return read(db)
    .selectFrom('preference_prompts')
    .selectAll()
    .where('prompt_id', '=', promptId)
    .executeTakeFirst();
}

export function preferenceRankings(db: AnyDb, promptId: string): Promise<PreferenceRanking[]> {
  return read(db)
    .selectFrom('preference_rankings')
    .selectAll()
    .where('prompt_id', '=', promptId)
    .orderBy('ranked_at')
    .orderBy('event_id')
    .execute();
}

// Jobs

export function listJobs(
  db: AnyDb,
  args: PageArgs & { kind?: string; status?: JobStatus; streamId?: string; requested?: TimeRange } = {},
): Promise<Page<Job>> {
  checkTimeRange(args.requested, 'requested');
  let q = within(read(db).selectFrom('jobs').selectAll(), 'requested_at', args.requested);
  if (args.kind) q = q.where('kind', '=', args.kind);
  if (args.status) q = q.where('status', '=', args.status);
  if (args.streamId) q = q.where('stream_id', '=', args.streamId);
  return paginate(q, ['requested_at', 'job_id'], (r) => [iso(r.requested_at), r.job_id], args);
}

export function getJob(db: AnyDb, jobId: string): Promise<Job | undefined> {
  return read(db).selectFrom('jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

// Lineage

export interface LineageSubgraph {
  readonly nodes: readonly LineageNodeRow[];
  readonly edges: readonly LineageEdgeRow[];
  /** true when maxNodes cut the walk short. */
  readonly truncated: boolean;
}

/**
 * The lineage around a node from the live read model: `upstream` (what it was made from) or
 * `downstream` (what was made from it), transitively up to `maxDepth` hops.
 */
export async function lineageOf(
  db: AnyDb,
  nodeId: string,
  options: { direction?: 'upstream' | 'downstream'; maxDepth?: number; maxNodes?: number } = {},
): Promise<LineageSubgraph> {
  const direction = options.direction ?? 'upstream';
  const maxDepth = options.maxDepth ?? 50;
  const maxNodes = pageSize({ first: options.maxNodes ?? 500 });
  const [near, far] = direction === 'upstream' ? ['to_node', 'from_node'] : ['from_node', 'to_node'];
  const { rows: reached } = await sql<{ node_id: string }>`
    WITH RECURSIVE walk(node_id, depth) AS (
      SELECT ${nodeId}::text, 0
      UNION
      SELECT e.${sql.ref(far)}, w.depth + 1
      FROM lineage_edges e JOIN walk w ON e.${sql.ref(near)} = w.node_id
      WHERE w.depth < ${maxDepth}
    )
    SELECT DISTINCT node_id FROM walk LIMIT ${maxNodes + 1}`.execute(db);
  const ids = reached.map((row) => row.node_id);
  const truncated = ids.length > maxNodes;
  const kept = ids.slice(0, maxNodes);
  if (kept.length === 0) return { nodes: [], edges: [], truncated };
  const rdb = read(db);
  const [nodes, edges] = await Promise.all([
    rdb.selectFrom('lineage_nodes').selectAll().where('node_id', 'in', kept).orderBy('node_id').execute(),
    rdb
      .selectFrom('lineage_edges')
      .selectAll()
      .where('from_node', 'in', kept)
      .where('to_node', 'in', kept)
      .orderBy('from_node')
      .orderBy('to_node')
      .orderBy('relation')
      .execute(),
  ]);
  return { nodes, edges, truncated };
}

export type { ReadModelDatabase };

/** Where the reward models that score served interactions are registered: `<served model>-reward`. */
export const REWARD_MODEL_SUFFIX = '-reward';

/**
 * The reward model current for each served model name (the flywheel's scorer): among the retained reward-model
 * versions (trainingSummary.method `reward-model`) registered as `<name>-reward`, the production one, else the
 * newest. Keyed by the served model's name.
 */
export async function currentRewardModels(
  db: AnyDb,
): Promise<Map<string, { readonly name: string; readonly version: number }>> {
  const rows = await read(db)
    .selectFrom('model_versions')
    .select(['model_name', 'version', 'stage'])
    .where('model_name', 'like', `%${REWARD_MODEL_SUFFIX}`)
    .where('archived_at', 'is', null)
    .where(sql<string>`training_summary->>'method'`, '=', 'reward-model')
    .orderBy('model_name')
    .orderBy(sql`stage = 'production'`, 'desc')
    .orderBy('version', 'desc')
    .execute();
  const current = new Map<string, { name: string; version: number }>();
  for (const row of rows) {
    const served = row.model_name.slice(0, -REWARD_MODEL_SUFFIX.length);
    if (served !== '' && !current.has(served))
      current.set(served, { name: row.model_name, version: row.version });
  }
  return current;
}

/**
 * Up to `limit` interactions of a served model that a reward-model version has not scored yet (their latest
 * score is another's, or none), oldest first, leaving out `excluding` and exchanges whose texts are erased.
 */
export function interactionsAwaitingReward(
  db: AnyDb,
  args: {
    readonly modelName: string;
    readonly rewardModel: { readonly name: string; readonly version: number };
    readonly erased: string;
    readonly excluding: readonly string[];
    readonly limit: number;
  },
): Promise<Pick<Interaction, 'interaction_id' | 'prompt' | 'response'>[]> {
  let q = read(db)
    .selectFrom('interactions')
    .select(['interaction_id', 'prompt', 'response'])
    .where('model_name', '=', args.modelName)
    .where((eb) =>
      eb.or([
        eb('reward_model_version', 'is', null),
        eb('reward_model_version', '!=', args.rewardModel.version),
        eb('reward_model_name', '!=', args.rewardModel.name),
      ]),
    )
    .where('prompt', '!=', args.erased)
    .where('response', '!=', args.erased);
  if (args.excluding.length > 0) q = q.where('interaction_id', 'not in', [...args.excluding]);
  return q.orderBy('recorded_at').orderBy('interaction_id').limit(args.limit).execute();
}
