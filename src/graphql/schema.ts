import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { AuditResolver } from './resolvers/audit.resolver.js';
import { DatasetIngestResolver } from './resolvers/datasetIngest.resolver.js';
import { EvaluationResolver } from './resolvers/evaluation.resolver.js';
import { EvaluationWorkResolver } from './resolvers/evaluationWork.resolver.js';
import { EvaluationRecordsResolver } from './resolvers/evaluationRecords.resolver.js';
import { JobReportsResolver } from './resolvers/jobReports.resolver.js';
import { JobQueueResolver } from './resolvers/jobQueue.resolver.js';
import { ModelRegistryResolver } from './resolvers/modelRegistry.resolver.js';
import { PreferenceResolver } from './resolvers/preference.resolver.js';
import { EventResolver } from './resolvers/event.resolver.js';
import { LineageResolver } from './resolvers/lineage.resolver.js';
import { MemoryEstimateResolver } from './resolvers/memoryEstimate.resolver.js';
import {
  DatasetRecordsResolver,
  DatasetRevisionByNumberResolver,
} from './resolvers/datasetRecords.resolver.js';
import { DatasetCommandsResolver } from './resolvers/datasetCommands.resolver.js';
import { EvaluationCommandsResolver } from './resolvers/evaluationCommands.resolver.js';
import { FeedbackCommandsResolver } from './resolvers/feedbackCommands.resolver.js';
import { ReleaseCommandsResolver } from './resolvers/releaseCommands.resolver.js';
import { TrainingRunCommandsResolver } from './resolvers/trainingRunCommands.resolver.js';
import {
  DatasetFieldsResolver,
  DeploymentFieldsResolver,
  InteractionFieldsResolver,
  ModelFieldsResolver,
  ReadModelResolver,
  RunFieldsResolver,
} from './resolvers/readModel.resolver.js';
import { RewardScoresResolver } from './resolvers/rewardScores.resolver.js';
import { RunMetricSeriesResolver } from './resolvers/runMetricSeries.resolver.js';
import { ViewerResolver } from './resolvers/viewer.resolver.js';
import { PrivacyResolver } from './resolvers/privacy.resolver.js';
import { NodeResolver, nodeIdResolvers } from './resolvers/node.resolver.js';
import { withSynchronousNodeType } from './types/node.type.js';

// Resolvers close over nothing: everything they need comes from the per-request ApiContext.
const resolvers = [
  ViewerResolver,
  EventResolver,
  ReadModelResolver,
  DatasetFieldsResolver,
  DatasetRecordsResolver,
  DatasetRevisionByNumberResolver,
  RunFieldsResolver,
  RunMetricSeriesResolver,
  ModelFieldsResolver,
  DeploymentFieldsResolver,
  InteractionFieldsResolver,
  LineageResolver,
  EvaluationResolver,
  AuditResolver,
  DatasetCommandsResolver,
  FeedbackCommandsResolver,
  TrainingRunCommandsResolver,
  EvaluationCommandsResolver,
  ReleaseCommandsResolver,
  EvaluationWorkResolver,
  EvaluationRecordsResolver,
  JobReportsResolver,
  JobQueueResolver,
  ModelRegistryResolver,
  PreferenceResolver,
  DatasetIngestResolver,
  MemoryEstimateResolver,
  PrivacyResolver,
  RewardScoresResolver,
  NodeResolver,
  ...nodeIdResolvers,
] as const;

let built: Promise<GraphQLSchema> | null = null;

/** The API's schema (built once per process: type-graphql's metadata is global). */
export function buildApiSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers,
    validate: false,
    // Subscriptions bring their own iterators (the shared EventFeed); type-graphql insists on a
    // PubSub for topic-based subscriptions, which this schema does not use.
    pubSub: createPubSub(),
  }).then(withSynchronousNodeType);
  return built;
}
