import type { ColumnType } from 'kysely';

/** A timestamptz column: written as an ISO string, read back as a Date (pg and PGlite alike). */
export type Timestamp = ColumnType<Date, string, string>;
/** A jsonb column: written as JSON text (pg would turn a JS array into a PostgreSQL array), read parsed. */
export type Json<T = unknown> = ColumnType<T, string, string>;
/** A bigint column: pg returns int8 as a string to keep precision. */
export type BigCount = ColumnType<string | number, number, number>;

export interface ProjectionCheckpointsTable {
  name: string;
  version: number;
  checkpoint: string;
  events_applied: BigCount;
  updated_at: Timestamp;
  /** Commits that changed this projection's tables (batches with events it handles, rebuilds). */
  data_version: ColumnType<string | number, never, never>;
}

export interface DatasetsTable {
  dataset_id: string;
  name: string;
  domain: string;
  description: string;
  format: string;
  latest_revision: number | null;
  revision_count: number;
  archived: boolean;
  archived_reason: string | null;
  registered_at: Timestamp;
  updated_at: Timestamp;
}

export interface DatasetRevisionsTable {
  dataset_id: string;
  revision: number;
  content_hash: string;
  record_count: number;
  byte_size: number;
  splits: Json;
  parent_revision: number | null;
  transform_kind: string;
  transform: Json;
  pii_report: Json | null;
  quality_report: Json | null;
  source_interaction_count: number;
  event_id: string;
  added_at: Timestamp;
}

export const runStatuses = ['requested', 'running', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];

export interface RunsTable {
  run_id: string;
  kind: string;
  status: RunStatus;
  base_model: string;
  dataset_id: string | null;
  dataset_revision: number | null;
  method: Json;
  stages: Json;
  loss_kind: string | null;
  seed: number | null;
  max_steps: number | null;
  worker_id: string | null;
  backend: string | null;
  attempts: number;
  current_stage: number | null;
  last_step: number | null;
  total_steps: number | null;
  last_loss: number | null;
  last_checkpoint_hash: string | null;
  last_checkpoint_step: number | null;
  result_artifact_hash: string | null;
  final_loss: number | null;
  duration_ms: number | null;
  tokens_seen: number | null;
  failure_reason: string | null;
  correlation_id: string;
  requested_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface RunMetricsTable {
  run_id: string;
  step: number;
  stage_index: number;
  epoch: number;
  loss: number;
  entity_loss: number | null;
  learning_rate: number;
  grad_norm: number | null;
  tokens_per_second: number | null;
  elapsed_ms: number | null;
  recorded_at: Timestamp;
  /** Preference runs only (DPO, reward model): the fraction of pairs the chosen answer wins, and the mean margin. */
  reward_accuracy: number | null;
  reward_margin: number | null;
  /** PPO runs only: the step's rollout statistics (TrainingProgressReported's fields of the same names). */
  mean_reward: number | null;
  kl: number | null;
  kl_coefficient: number | null;
  entropy: number | null;
  clip_fraction: number | null;
  value_loss: number | null;
  explained_variance: number | null;
}

export interface RunCheckpointsTable {
  run_id: string;
  step: number;
  artifact_hash: string;
  byte_size: number;
  saved_at: Timestamp;
}

export const evaluationStatuses = ['requested', 'completed', 'failed'] as const;
export type EvaluationStatus = (typeof evaluationStatuses)[number];

export interface EvaluationsTable {
  evaluation_id: string;
  status: EvaluationStatus;
  model_name: string;
  model_version: number;
  dataset_id: string | null;
  dataset_revision: number | null;
  suites: Json<string[]>;
  judge: Json | null;
  gate: Json;
  worker_id: string | null;
  attempts: number;
  completed_examples: number | null;
  total_examples: number | null;
  metrics: Json<Record<string, number>> | null;
  categories: Json | null;
  error_taxonomy: Json | null;
  artifacts: Json | null;
  gate_passed: boolean | null;
  gate_failures: Json | null;
  failure_reason: string | null;
  requested_at: Timestamp;
  finished_at: Timestamp | null;
}

export type ModelStage = 'none' | 'staging' | 'production';

export interface ModelsTable {
  model_name: string;
  latest_version: number;
  staging_version: number | null;
  production_version: number | null;
  registered_at: Timestamp;
  updated_at: Timestamp;
}

export interface ModelVersionsTable {
  model_name: string;
  version: number;
  run_id: string | null;
  base_model: string | null;
  artifacts: Json;
  training_summary: Json | null;
  stage: ModelStage;
  retained: boolean;
  evidence: Json | null;
  approved_by: string | null;
  archived_reason: string | null;
  registered_event_id: string;
  registered_at: Timestamp;
  promoted_at: Timestamp | null;
  archived_at: Timestamp | null;
}

export interface DeploymentsTable {
  deployment_name: string;
  status: string;
  environment: string | null;
  model_name: string | null;
  active_version: number | null;
  previous_version: number | null;
  requested_version: number | null;
  endpoint: string | null;
  degradation_count: number;
  rollback_count: number;
  last_degradation: Json | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DeploymentHistoryTable {
  event_id: string;
  deployment_name: string;
  stream_version: number;
  kind: string;
  model_name: string | null;
  version: number | null;
  from_version: number | null;
  details: Json;
  recorded_at: Timestamp;
}

export interface InteractionsTable {
  interaction_id: string;
  deployment_name: string | null;
  model_name: string;
  model_version: number;
  prompt: string;
  response: string;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  mean_token_entropy: number | null;
  filter_stage: string | null;
  filter_rule: string | null;
  label_count: number;
  last_rating: number | null;
  last_thumbs_up: boolean | null;
  recorded_at: Timestamp;
  /** The latest InteractionRewardScored: the score and the reward-model version that gave it. */
  reward_score: number | null;
  reward_model_name: string | null;
  reward_model_version: number | null;
  reward_scored_at: Timestamp | null;
}

export interface FeedbackLabelsTable {
  event_id: string;
  interaction_id: string;
  kind: string;
  thumbs_up: boolean | null;
  rating: number | null;
  correction: string | null;
  error_category: string | null;
  labeler: string;
  labeled_at: Timestamp;
}

/** The data subject of each feedback row (`row_id`: `<table>:<key>`), for erasure (docs/privacy.md). */
export interface FeedbackSubjectsTable {
  row_id: string;
  subject_id: string;
}

export interface PreferencePromptsTable {
  prompt_id: string;
  prompt: string;
  candidates: Json;
  ranking_count: number;
  generated_at: Timestamp;
}

export interface PreferenceRankingsTable {
  event_id: string;
  prompt_id: string;
  ranking: Json<string[]>;
  labeler: string;
  ranked_at: Timestamp;
}

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export interface JobsTable {
  job_id: string;
  kind: string;
  stream_id: string;
  status: JobStatus;
  attempts: number;
  payload: Json;
  correlation_id: string;
  claimed_by: string | null;
  lease_until: Timestamp | null;
  heartbeat_at: Timestamp | null;
  last_error: string | null;
  requested_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface LineageNodesTable {
  node_id: string;
  kind: string;
  label: string;
  attributes: Json<Record<string, unknown>>;
  created_event_id: string;
  created_at: Timestamp;
}

export interface LineageEdgesTable {
  from_node: string;
  to_node: string;
  relation: string;
  event_id: string;
  created_at: Timestamp;
}

/** The tables the projections own (migrations 0100-0199). */
export interface ReadModelDatabase {
  projection_checkpoints: ProjectionCheckpointsTable;
  datasets: DatasetsTable;
  dataset_revisions: DatasetRevisionsTable;
  runs: RunsTable;
  run_metrics: RunMetricsTable;
  run_checkpoints: RunCheckpointsTable;
  evaluations: EvaluationsTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  deployments: DeploymentsTable;
  deployment_history: DeploymentHistoryTable;
  interactions: InteractionsTable;
  feedback_labels: FeedbackLabelsTable;
  preference_prompts: PreferencePromptsTable;
  preference_rankings: PreferenceRankingsTable;
  feedback_subjects: FeedbackSubjectsTable;
  jobs: JobsTable;
  lineage_nodes: LineageNodesTable;
  lineage_edges: LineageEdgesTable;
}
