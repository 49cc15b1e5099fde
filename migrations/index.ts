import type { Migration } from 'kysely';
import { eventStoreMigration } from './0001_event_store.js';
import { readAllFunctionMigration } from './0002_read_all_function.js';
import { appendManyFunctionMigration } from './0003_append_many_function.js';
import { readAllOfTypesFunctionMigration } from './0004_read_all_of_types_function.js';
import { idempotencyKeys } from './0011_idempotency_keys.js';
import { ledgerLeavesFunctionMigration } from './0020_ledger_leaves_function.js';
import { ledgerEventsFunctionMigration } from './0021_ledger_events_function.js';
import { subjectKeys } from './0050_subject_keys.js';
import { feedbackSubjects } from './0051_feedback_subjects.js';
import { eventsTypeOrder } from './0052_events_type_order.js';
import { worldSnapshots } from './0053_world_snapshots.js';
import { apiTokens } from './0200_api_tokens.js';
import { jobRetries } from './0300_job_retries.js';
import { interactionRewardScores } from './0301_interaction_reward_scores.js';
import { projectionCheckpoints } from './0100_projection_checkpoints.js';
import { readDatasets } from './0101_read_datasets.js';
import { readRuns } from './0102_read_runs.js';
import { readEvaluations } from './0103_read_evaluations.js';
import { readRegistry } from './0104_read_registry.js';
import { readDeployments } from './0105_read_deployments.js';
import { readFeedback } from './0106_read_feedback.js';
import { readJobs } from './0107_read_jobs.js';
import { readLineage } from './0108_read_lineage.js';
import { readModelTimeIndexes } from './0109_read_model_time_indexes.js';
import { projectionDataVersions } from './0110_projection_data_versions.js';
import { runMetricsPreferenceStatistics } from './0111_run_metrics_preference_statistics.js';
import { runMetricsPpoStatistics } from './0120_run_metrics_ppo_statistics.js';
import { worldLineageIndex } from './0121_world_lineage_index.js';
import { worldRegistryIndex } from './0122_world_registry_index.js';
import { worldSnapshotSkew } from './0123_world_snapshot_skew.js';

/**
 * In-code migration provider (kysely's FileMigrationProvider cannot import .ts under vitest).
 * Names sort in the order they run; each area owns a range: 0001-0099 event store,
 * 0100-0199 read models, 0200-0299 GraphQL/auth, 0300-0399 workers, 0400-0499 serving.
 */
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStoreMigration,
  '0002_read_all_function': readAllFunctionMigration,
  '0003_append_many_function': appendManyFunctionMigration,
  '0004_read_all_of_types_function': readAllOfTypesFunctionMigration,
  '0011_idempotency_keys': idempotencyKeys,
  '0020_ledger_leaves_function': ledgerLeavesFunctionMigration,
  '0021_ledger_events_function': ledgerEventsFunctionMigration,
  '0050_subject_keys': subjectKeys,
  '0051_feedback_subjects': feedbackSubjects,
  '0052_events_type_order': eventsTypeOrder,
  '0053_world_snapshots': worldSnapshots,
  '0100_projection_checkpoints': projectionCheckpoints,
  '0101_read_datasets': readDatasets,
  '0102_read_runs': readRuns,
  '0103_read_evaluations': readEvaluations,
  '0104_read_registry': readRegistry,
  '0105_read_deployments': readDeployments,
  '0106_read_feedback': readFeedback,
  '0107_read_jobs': readJobs,
  '0108_read_lineage': readLineage,
  '0109_read_model_time_indexes': readModelTimeIndexes,
  '0110_projection_data_versions': projectionDataVersions,
  '0111_run_metrics_preference_statistics': runMetricsPreferenceStatistics,
  '0120_run_metrics_ppo_statistics': runMetricsPpoStatistics,
  '0121_world_lineage_index': worldLineageIndex,
  '0122_world_registry_index': worldRegistryIndex,
  '0123_world_snapshot_skew': worldSnapshotSkew,
  '0200_api_tokens': apiTokens,
  '0300_job_retries': jobRetries,
  '0301_interaction_reward_scores': interactionRewardScores,
};
