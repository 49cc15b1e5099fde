/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type BaseModelInput = {
  configHash?: string | null | undefined;
  name: string;
  source: BaseModelSourceInput;
};

export type BaseModelSourceInput = {
  /** (kind artifact) */
  hash?: string | null | undefined;
  kind: BaseModelSourceKind;
  /** (kind registry) */
  model?: ModelRefInput | null | undefined;
  /** (kind path) */
  path?: string | null | undefined;
};

/** BaseModelSourceKind (generated from the domain's zod schema). */
export type BaseModelSourceKind =
  | 'ARTIFACT'
  | 'PATH'
  | 'REGISTRY';

/** A dataset's record format (domain: datasetFormat). */
export type DatasetFormat =
  | 'ALPACA'
  | 'OPENAI_MESSAGES'
  | 'PREFERENCE'
  | 'SHAREGPT';

export type DatasetRefInput = {
  id: string | number;
  revision: number;
};

/** What a lineage node stands for (read model: lineageNodeKinds). */
export type LineageNodeKind =
  | 'DATASET_REVISION'
  | 'DEPLOYMENT'
  | 'EVALUATION'
  | 'INTERACTION'
  | 'MODEL_VERSION'
  | 'RUN';

/** How a lineage edge's target came from its source (read model: lineageRelations). */
export type LineageRelation =
  | 'BASE_MODEL'
  | 'COLLECTED'
  | 'DEPLOYED'
  | 'DERIVED'
  | 'EVALUATED'
  | 'EVALUATION_DATA'
  | 'EVIDENCE'
  | 'MERGED'
  | 'PRODUCED'
  | 'REFERENCE_MODEL'
  | 'RESUMED_FROM'
  | 'REWARD_MODEL'
  | 'ROLLED_BACK_TO'
  | 'SERVED'
  | 'TRAINED_ON';

/** A training run's loss (domain: trainingLoss's kinds). */
export type LossKind =
  | 'CROSS_ENTROPY'
  | 'ENTITY_WEIGHTED';

/** A method memory can be estimated for (ml: memoryEstimateMethods). */
export type MemoryEstimateMethod =
  | 'FULL'
  | 'LORA';

/** Who speaks in a turn of a dataset record (data: MESSAGE_ROLES). */
export type MessageRole =
  | 'ASSISTANT'
  | 'SYSTEM'
  | 'USER';

export type ModelRefInput = {
  name: string;
  version: number;
};

/** A model version's stage in the registry (domain: modelStage). */
export type ModelStage =
  | 'NONE'
  | 'PRODUCTION'
  | 'STAGING';

/** PromptFormat (domain's zod schema). */
export type PromptFormat =
  | 'ALPACA'
  | 'CHAT_TEMPLATE'
  | 'LLAMA2'
  | 'LLAMA3';

/** A per-step figure of a training run (run_metrics). */
export type RunMetricName =
  | 'CLIP_FRACTION'
  | 'ELAPSED_MS'
  | 'ENTITY_LOSS'
  | 'ENTROPY'
  | 'EPOCH'
  | 'EXPLAINED_VARIANCE'
  | 'GRAD_NORM'
  | 'KL'
  | 'KL_COEFFICIENT'
  | 'LEARNING_RATE'
  | 'LOSS'
  | 'MEAN_REWARD'
  | 'REWARD_ACCURACY'
  | 'REWARD_MARGIN'
  | 'STAGE_INDEX'
  | 'TOKENS_PER_SECOND'
  | 'VALUE_LOSS';

/** The event type of a run progress update (runProgressEventTypes). */
export type RunProgressEventType =
  | 'CHECKPOINT_SAVED'
  | 'TRAINING_PROGRESS_REPORTED'
  | 'TRAINING_RUN_CANCELLED'
  | 'TRAINING_RUN_CLAIMED'
  | 'TRAINING_RUN_COMPLETED'
  | 'TRAINING_RUN_FAILED'
  | 'TRAINING_STAGE_STARTED';

/** A training run's status (read model: runStatuses). */
export type RunStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'REQUESTED'
  | 'RUNNING';

export type TrainedParametersInput = {
  /** (kind lora) */
  alpha?: number | null | undefined;
  /** (kind lora) */
  dropout?: number | null | undefined;
  kind: MemoryEstimateMethod;
  /** (kind lora) */
  r?: number | null | undefined;
  /** (kind lora) */
  targetModules?: Array<string> | null | undefined;
};

export type TrainingLossInput = {
  /** (kind entity-weighted) */
  entityWeight?: number | null | undefined;
  kind: LossKind;
  /** (kind entity-weighted) */
  lexiconHash?: string | null | undefined;
};

export type TrainingMethodInput = {
  /** (kind lora) */
  alpha?: number | null | undefined;
  /** (kind dpo) */
  beta?: number | null | undefined;
  /** (kind ppo) */
  clipRange?: number | null | undefined;
  /** (kind ppo) */
  clipRangeValue?: number | null | undefined;
  /** (kind lora) */
  dropout?: number | null | undefined;
  /** (kind ppo) */
  epochs?: number | null | undefined;
  /** (kind ppo) */
  gamma?: number | null | undefined;
  kind: TrainingMethodKind;
  /** (kind ppo) */
  klCoefficient?: number | null | undefined;
  /** (kind ppo) */
  klControl?: TrainingMethodKlControl | null | undefined;
  /** (kind ppo) */
  klHorizon?: number | null | undefined;
  /** (kind ppo) */
  lambda?: number | null | undefined;
  /** (kind ppo) */
  maxResponseTokens?: number | null | undefined;
  /** (kind ppo) */
  minibatches?: number | null | undefined;
  /** (kind reward-model, dpo, ppo) */
  parameters?: TrainedParametersInput | null | undefined;
  /** (kind lora) */
  r?: number | null | undefined;
  /** (kind dpo, ppo) */
  referenceModel?: ModelRefInput | null | undefined;
  /** (kind ppo) */
  rewardModel?: ModelRefInput | null | undefined;
  /** (kind ppo) */
  rolloutsPerStep?: number | null | undefined;
  /** (kind ppo) */
  targetKl?: number | null | undefined;
  /** (kind lora) */
  targetModules?: Array<string> | null | undefined;
  /** (kind ppo) */
  valueCoefficient?: number | null | undefined;
};

/** A training run's method (domain: trainingMethod's kinds). */
export type TrainingMethodKind =
  | 'DPO'
  | 'FULL'
  | 'LORA'
  | 'PPO'
  | 'REWARD_MODEL';

/** TrainingMethodKlControl (generated from the domain's zod schema). */
export type TrainingMethodKlControl =
  | 'ADAPTIVE'
  | 'FIXED';

/** A training run request (TrainingRunRequested of EVENTS.md); method is one input with a kind and each kind's fields. */
export type TrainingRunRequestInput = {
  baseModel: BaseModelInput;
  dataset: DatasetRefInput;
  loss?: TrainingLossInput | null | undefined;
  maxSteps?: number | null | undefined;
  method?: TrainingMethodInput | null | undefined;
  promptFormat?: PromptFormat | null | undefined;
  resumeFrom?: TrainingRunRequestResumeFromInput | null | undefined;
  runId?: string | number | null | undefined;
  seed?: number | null | undefined;
  stages?: Array<TrainingStageInput> | null | undefined;
  targetModel?: string | null | undefined;
};

export type TrainingRunRequestResumeFromInput = {
  artifactHash: string;
  runId: string | number;
  step: number;
};

export type TrainingStageInput = {
  batchSize: number;
  datasetFilter?: string | null | undefined;
  datasetRevision?: number | null | undefined;
  epochs: number;
  learningRate: number;
  name: string;
  noise?: number | null | undefined;
};

/** Why a domain rule refused a mutation: the domain's refusal codes of kind NOT_FOUND or CONFLICT (src/domain/shared/domainErrorCodes.ts). */
export type UserErrorCode =
  | 'ALREADY_IN_STAGE'
  | 'ALREADY_RANKED'
  | 'AUGMENTATION_ALREADY_FINISHED'
  | 'AUGMENTATION_ALREADY_REQUESTED'
  | 'AUGMENTATION_NOT_FOUND'
  | 'BASE_MODEL_NOT_FOUND'
  | 'CANDIDATES_ALREADY_GENERATED'
  | 'CANDIDATES_NOT_FOUND'
  | 'CHECKPOINT_AHEAD_OF_PROGRESS'
  | 'CHECKPOINT_WENT_BACKWARDS'
  | 'DATASET_ALREADY_REGISTERED'
  | 'DATASET_ARCHIVED'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_REVISION_NOT_FOUND'
  | 'DEPLOYMENT_NOT_ACTIVE'
  | 'DEPLOYMENT_NOT_REQUESTED'
  | 'DEPLOYMENT_PENDING'
  | 'EVALUATION_ALREADY_CLAIMED'
  | 'EVALUATION_ALREADY_FINISHED'
  | 'EVALUATION_ALREADY_REQUESTED'
  | 'EVALUATION_NOT_CLAIMED'
  | 'EVALUATION_NOT_FOUND'
  | 'EVENT_VERSION_TOO_NEW'
  | 'INTERACTION_ALREADY_RECORDED'
  | 'INTERACTION_ALREADY_SCORED'
  | 'INTERACTION_NOT_FOUND'
  | 'JOB_NOT_FOUND'
  | 'JOB_NOT_HELD'
  | 'LEASE_STILL_VALID'
  | 'MODEL_VERSION_ARCHIVED'
  | 'MODEL_VERSION_IN_PRODUCTION'
  | 'MODEL_VERSION_NOT_FOUND'
  | 'PROMOTION_NEEDS_PASSED_EVALUATION'
  | 'PROMOTION_WOULD_DEMOTE'
  | 'REVISION_OUT_OF_ORDER'
  | 'ROLLBACK_NOT_REQUESTED'
  | 'ROLLBACK_PENDING'
  | 'ROLLBACK_TARGET_IS_ACTIVE'
  | 'ROLLBACK_TARGET_NOT_RETAINED'
  | 'RUN_ALREADY_CLAIMED'
  | 'RUN_ALREADY_FINISHED'
  | 'RUN_ALREADY_REGISTERED'
  | 'RUN_ALREADY_REQUESTED'
  | 'RUN_NOT_CLAIMED'
  | 'RUN_NOT_COMPLETED'
  | 'RUN_NOT_FOUND'
  | 'STAGE_NOT_FOUND'
  | 'STAGE_NOT_STARTED'
  | 'STAGE_OUT_OF_ORDER'
  | 'STEP_WENT_BACKWARDS'
  | 'VERSION_ALREADY_ACTIVE'
  | 'VERSION_OUT_OF_ORDER';

/** NOT_FOUND: it names something that does not exist. CONFLICT: the current state refuses it; it may succeed later or after another command. */
export type UserErrorKind =
  | 'CONFLICT'
  | 'NOT_FOUND';

export type ReadmeDatasetsQueryVariables = Exact<{ [key: string]: never; }>;


export type ReadmeDatasetsQuery = { datasets: { edges: Array<{ node: { datasetId: string, name: string, domain: string } }> } };

export type DataIngestDatasetMutationVariables = Exact<{
  content: string;
}>;


export type DataIngestDatasetMutation = { ingestDataset: { datasetId: string | null, revision: number | null, registered: boolean | null, unchanged: boolean | null, contentHash: string | null, recordCount: number | null, format: DatasetFormat | null, facts: unknown, eventTypes: Array<string>, checkpoint: string | null } };

export type DataRequestAugmentationMutationVariables = Exact<{
  lexicon: unknown;
}>;


export type DataRequestAugmentationMutation = { requestAugmentation: { augmentationId: string | null, baseRevision: number | null, lexiconHash: string | null, templates: Array<string>, eventTypes: Array<string> } };

export type GraphqlRunsQueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlRunsQuery = { runs: { edges: Array<{ cursor: string, node: { runId: string, status: RunStatus, lastStep: number | null, totalSteps: number | null, lastLoss: number | null, metricSeries: { nextFromStep: number | null, series: Array<{ name: RunMetricName, steps: Array<number>, values: Array<number> }> } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type GraphqlRuns2QueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlRuns2Query = { runs: { edges: Array<{ node: { runId: string, status: RunStatus, requestedAt: string } }> } };

export type GraphqlModelQueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlModelQuery = { model: { productionVersion: number | null, versions: { edges: Array<{ node: { version: number, stage: ModelStage, retained: boolean, approvedBy: string | null } }> } } | null, deployment: { activeVersion: number | null } | null };

export type GraphqlLineageQueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlLineageQuery = { lineage: { nodes: Array<{ nodeId: string, kind: LineageNodeKind, label: string }>, edges: Array<{ from: string, to: string, relation: LineageRelation, eventId: string }> } };

export type GraphqlAuditReportQueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlAuditReportQuery = { auditReport: { allChainsIntact: boolean, markdown: string, integrity: Array<{ streamId: string, ok: boolean }> } | null };

export type GraphqlAuditReport2QueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlAuditReport2Query = { auditReport: { modelName: string, version: number, report: unknown } | null };

export type GraphqlLogQueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlLogQuery = { log: { edges: Array<{ cursor: string, node: { streamId: string, type: string, data: unknown, metadata: { actor: string, recordedAt: string } } }> } };

export type GraphqlRuns3QueryVariables = Exact<{
  before?: string | null | undefined;
}>;


export type GraphqlRuns3Query = { runs: { edges: Array<{ node: { runId: string, status: RunStatus } }>, pageInfo: { hasPreviousPage: boolean, startCursor: string | null } } };

export type GraphqlDatasetQueryVariables = Exact<{ [key: string]: never; }>;


export type GraphqlDatasetQuery = { dataset: { revision: { records: { edges: Array<{ cursor: string, node: { index: number, messages: Array<{ role: MessageRole, content: string }> } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } | null } | null };

export type GraphqlNodeQueryVariables = Exact<{
  id: string | number;
}>;


export type GraphqlNodeQuery = { node:
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { modelName: string, version: number, stage: ModelStage, id: string }
    | { id: string }
    | { runId: string, status: RunStatus, id: string }
   | null };

export type GraphqlRegisterDatasetMutationVariables = Exact<{ [key: string]: never; }>;


export type GraphqlRegisterDatasetMutation = { registerDataset: { id: string | null } };

export type GraphqlRequestTrainingRunMutationVariables = Exact<{
  input: TrainingRunRequestInput;
}>;


export type GraphqlRequestTrainingRunMutation = { requestTrainingRun: { id: string | null, streamId: string | null, version: number | null, replayed: boolean, eventIds: Array<string>, eventTypes: Array<string>, checkpoint: string | null, run: { runId: string, status: RunStatus } | null, userErrors: Array<{ code: UserErrorCode, kind: UserErrorKind, field: Array<string> | null, message: string }> } };

export type GraphqlPromoteModelVersionMutationVariables = Exact<{ [key: string]: never; }>;


export type GraphqlPromoteModelVersionMutation = { promoteModelVersion: { id: string | null } };

export type GraphqlRequestDeploymentMutationVariables = Exact<{ [key: string]: never; }>;


export type GraphqlRequestDeploymentMutation = { requestDeployment: { id: string | null } };

export type GraphqlRequestRollbackMutationVariables = Exact<{ [key: string]: never; }>;


export type GraphqlRequestRollbackMutation = { requestRollback: { id: string | null } };

export type GraphqlRunProgressSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type GraphqlRunProgressSubscription = { runProgress: { type: RunProgressEventType, step: number | null, totalSteps: number | null, stageIndex: number | null, stageName: string | null, loss: number | null, entityLoss: number | null, learningRate: number | null, tokensPerSecond: number | null, etaMs: number | null, finished: boolean, event: { checkpoint: string, data: unknown } } };

export type GraphqlEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type GraphqlEventsSubscription = { events: { type: string, streamId: string, data: unknown, checkpoint: string } };

export type PrivacyForgetSubjectMutationVariables = Exact<{ [key: string]: never; }>;


export type PrivacyForgetSubjectMutation = { forgetSubject: { id: string | null, eventTypes: Array<string> } };

export type TrainingRequestTrainingRunMutationVariables = Exact<{
  input: TrainingRunRequestInput;
}>;


export type TrainingRequestTrainingRunMutation = { requestTrainingRun: { id: string | null } };

export type TrainingRequestTrainingRun2MutationVariables = Exact<{ [key: string]: never; }>;


export type TrainingRequestTrainingRun2Mutation = { requestTrainingRun: { id: string | null } };

export type TrainingMemoryEstimateQueryVariables = Exact<{ [key: string]: never; }>;


export type TrainingMemoryEstimateQuery = { memoryEstimate: { totalGiB: number, fits: boolean | null, maxBatchSizeThatFits: number | null, advice: string } };

export type WorkQueryVariables = Exact<{ [key: string]: never; }>;


export type WorkQuery = { jobs: { edges: Array<{ node: { jobId: string, streamId: string, payload: unknown } }> } };

export type ClaimMutationVariables = Exact<{ [key: string]: never; }>;


export type ClaimMutation = { claimTrainingRun: { id: string | null, eventTypes: Array<string> } };

export type InputsQueryVariables = Exact<{ [key: string]: never; }>;


export type InputsQuery = { dataset: { revisions: { edges: Array<{ node: { revision: number, contentHash: string, splits: unknown } }> } } | null };

export type StageMutationVariables = Exact<{ [key: string]: never; }>;


export type StageMutation = { startStage: { id: string | null } };

export type ProgressMutationVariables = Exact<{ [key: string]: never; }>;


export type ProgressMutation = { reportProgress: { id: string | null } };

export type HeartbeatMutationVariables = Exact<{ [key: string]: never; }>;


export type HeartbeatMutation = { heartbeat: { id: string | null } };

export type CheckpointMutationVariables = Exact<{ [key: string]: never; }>;


export type CheckpointMutation = { saveCheckpoint: { id: string | null } };

export type CompleteMutationVariables = Exact<{ [key: string]: never; }>;


export type CompleteMutation = { completeJob: { id: string | null, eventTypes: Array<string> } };


export const ReadmeDatasetsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ReadmeDatasets"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasets"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasetId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"domain"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ReadmeDatasetsQuery, ReadmeDatasetsQueryVariables>;
export const DataIngestDatasetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DataIngestDataset"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"content"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ingestDataset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"name"},"value":{"kind":"StringValue","value":"medical-qa","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"domain"},"value":{"kind":"StringValue","value":"medical","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"content"},"value":{"kind":"Variable","name":{"kind":"Name","value":"content"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"lenient"},"value":{"kind":"BooleanValue","value":false}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"datasetId"}},{"kind":"Field","name":{"kind":"Name","value":"revision"}},{"kind":"Field","name":{"kind":"Name","value":"registered"}},{"kind":"Field","name":{"kind":"Name","value":"unchanged"}},{"kind":"Field","name":{"kind":"Name","value":"contentHash"}},{"kind":"Field","name":{"kind":"Name","value":"recordCount"}},{"kind":"Field","name":{"kind":"Name","value":"format"}},{"kind":"Field","name":{"kind":"Name","value":"facts"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}},{"kind":"Field","name":{"kind":"Name","value":"checkpoint"}}]}}]}}]} as unknown as DocumentNode<DataIngestDatasetMutation, DataIngestDatasetMutationVariables>;
export const DataRequestAugmentationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DataRequestAugmentation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"lexicon"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"JSON"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestAugmentation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"datasetId"},"value":{"kind":"StringValue","value":"…","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"revision"},"value":{"kind":"IntValue","value":"1"}},{"kind":"ObjectField","name":{"kind":"Name","value":"lexicon"},"value":{"kind":"Variable","name":{"kind":"Name","value":"lexicon"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"seed"},"value":{"kind":"IntValue","value":"7"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"augmentationId"}},{"kind":"Field","name":{"kind":"Name","value":"baseRevision"}},{"kind":"Field","name":{"kind":"Name","value":"lexiconHash"}},{"kind":"Field","name":{"kind":"Name","value":"templates"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}}]}}]}}]} as unknown as DocumentNode<DataRequestAugmentationMutation, DataRequestAugmentationMutationVariables>;
export const GraphqlRunsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlRuns"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"RUNNING"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastStep"}},{"kind":"Field","name":{"kind":"Name","value":"totalSteps"}},{"kind":"Field","name":{"kind":"Name","value":"lastLoss"}},{"kind":"Field","name":{"kind":"Name","value":"metricSeries"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"names"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"LOSS"},{"kind":"EnumValue","value":"LEARNING_RATE"}]}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1000"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"series"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"steps"}},{"kind":"Field","name":{"kind":"Name","value":"values"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nextFromStep"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlRunsQuery, GraphqlRunsQueryVariables>;
export const GraphqlRuns2Document = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlRuns2"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}},{"kind":"Argument","name":{"kind":"Name","value":"requestedAfter"},"value":{"kind":"StringValue","value":"2026-11-23T00:00:00Z","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"requestedBefore"},"value":{"kind":"StringValue","value":"2026-11-24T00:00:00Z","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"requestedAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlRuns2Query, GraphqlRuns2QueryVariables>;
export const GraphqlModelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlModel"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"modelName"},"value":{"kind":"StringValue","value":"llama-med","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"asOf"},"value":{"kind":"StringValue","value":"2026-11-23T09:00:00Z","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"productionVersion"}},{"kind":"Field","name":{"kind":"Name","value":"versions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"stage"}},{"kind":"Field","name":{"kind":"Name","value":"retained"}},{"kind":"Field","name":{"kind":"Name","value":"approvedBy"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"deployment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"deploymentName"},"value":{"kind":"StringValue","value":"med-assistant","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"asOf"},"value":{"kind":"StringValue","value":"2026-11-23T09:00:00Z","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"activeVersion"}}]}}]}}]} as unknown as DocumentNode<GraphqlModelQuery, GraphqlModelQueryVariables>;
export const GraphqlLineageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlLineage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lineage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"StringValue","value":"model:llama-med@3","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"direction"},"value":{"kind":"EnumValue","value":"UPSTREAM"}},{"kind":"Argument","name":{"kind":"Name","value":"depth"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodeId"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"label"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"relation"}},{"kind":"Field","name":{"kind":"Name","value":"eventId"}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlLineageQuery, GraphqlLineageQueryVariables>;
export const GraphqlAuditReportDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlAuditReport"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditReport"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"modelName"},"value":{"kind":"StringValue","value":"llama-med","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"version"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"allChainsIntact"}},{"kind":"Field","name":{"kind":"Name","value":"integrity"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"streamId"}},{"kind":"Field","name":{"kind":"Name","value":"ok"}}]}},{"kind":"Field","name":{"kind":"Name","value":"markdown"}}]}}]}}]} as unknown as DocumentNode<GraphqlAuditReportQuery, GraphqlAuditReportQueryVariables>;
export const GraphqlAuditReport2Document = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlAuditReport2"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"auditReport"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"deployment"},"value":{"kind":"StringValue","value":"med-assistant","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"asOf"},"value":{"kind":"StringValue","value":"2026-11-23T09:00:00Z","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"modelName"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"report"}}]}}]}}]} as unknown as DocumentNode<GraphqlAuditReport2Query, GraphqlAuditReport2QueryVariables>;
export const GraphqlLogDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlLog"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"log"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"streamPrefixes"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"run-","block":false}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"types"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"TrainingRunFailed","block":false}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"streamId"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"data"}},{"kind":"Field","name":{"kind":"Name","value":"metadata"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"actor"}},{"kind":"Field","name":{"kind":"Name","value":"recordedAt"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlLogQuery, GraphqlLogQueryVariables>;
export const GraphqlRuns3Document = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlRuns3"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"IntValue","value":"20"}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlRuns3Query, GraphqlRuns3QueryVariables>;
export const GraphqlDatasetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlDataset"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dataset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"datasetId"},"value":{"kind":"StringValue","value":"support","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revision"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"revision"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"records"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"messages"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"content"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlDatasetQuery, GraphqlDatasetQueryVariables>;
export const GraphqlNodeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GraphqlNode"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TrainingRun"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ModelVersion"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"modelName"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"stage"}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlNodeQuery, GraphqlNodeQueryVariables>;
export const GraphqlRegisterDatasetDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"GraphqlRegisterDataset"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"registerDataset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"StringValue","value":"med-qa","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"format"},"value":{"kind":"EnumValue","value":"ALPACA"}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"StringValue","value":"reg-med-qa","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<GraphqlRegisterDatasetMutation, GraphqlRegisterDatasetMutationVariables>;
export const GraphqlRequestTrainingRunDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"GraphqlRequestTrainingRun"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"TrainingRunRequestInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestTrainingRun"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"StringValue","value":"run-42","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"streamId"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"replayed"}},{"kind":"Field","name":{"kind":"Name","value":"eventIds"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}},{"kind":"Field","name":{"kind":"Name","value":"checkpoint"}},{"kind":"Field","name":{"kind":"Name","value":"run"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userErrors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlRequestTrainingRunMutation, GraphqlRequestTrainingRunMutationVariables>;
export const GraphqlPromoteModelVersionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"GraphqlPromoteModelVersion"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"promoteModelVersion"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"modelName"},"value":{"kind":"StringValue","value":"llama-med","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"version"},"value":{"kind":"IntValue","value":"3"}},{"kind":"Argument","name":{"kind":"Name","value":"stage"},"value":{"kind":"EnumValue","value":"PRODUCTION"}},{"kind":"Argument","name":{"kind":"Name","value":"evaluationIds"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"...","block":false}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<GraphqlPromoteModelVersionMutation, GraphqlPromoteModelVersionMutationVariables>;
export const GraphqlRequestDeploymentDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"GraphqlRequestDeployment"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestDeployment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"deploymentName"},"value":{"kind":"StringValue","value":"med-assistant","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"modelName"},"value":{"kind":"StringValue","value":"llama-med","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"version"},"value":{"kind":"IntValue","value":"3"}},{"kind":"Argument","name":{"kind":"Name","value":"environment"},"value":{"kind":"StringValue","value":"prod","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"StringValue","value":"passed eval","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<GraphqlRequestDeploymentMutation, GraphqlRequestDeploymentMutationVariables>;
export const GraphqlRequestRollbackDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"GraphqlRequestRollback"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestRollback"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"deploymentName"},"value":{"kind":"StringValue","value":"med-assistant","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"toVersion"},"value":{"kind":"IntValue","value":"2"}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"StringValue","value":"entropy up","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<GraphqlRequestRollbackMutation, GraphqlRequestRollbackMutationVariables>;
export const GraphqlRunProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"GraphqlRunProgress"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"runProgress"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"StringValue","value":"...","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"totalSteps"}},{"kind":"Field","name":{"kind":"Name","value":"stageIndex"}},{"kind":"Field","name":{"kind":"Name","value":"stageName"}},{"kind":"Field","name":{"kind":"Name","value":"loss"}},{"kind":"Field","name":{"kind":"Name","value":"entityLoss"}},{"kind":"Field","name":{"kind":"Name","value":"learningRate"}},{"kind":"Field","name":{"kind":"Name","value":"tokensPerSecond"}},{"kind":"Field","name":{"kind":"Name","value":"etaMs"}},{"kind":"Field","name":{"kind":"Name","value":"finished"}},{"kind":"Field","name":{"kind":"Name","value":"event"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"checkpoint"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}}]}}]}}]} as unknown as DocumentNode<GraphqlRunProgressSubscription, GraphqlRunProgressSubscriptionVariables>;
export const GraphqlEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"GraphqlEvents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"events"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"streamPrefixes"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"deployment-","block":false}]}}]}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"StringValue","value":"<checkpoint>","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"streamId"}},{"kind":"Field","name":{"kind":"Name","value":"data"}},{"kind":"Field","name":{"kind":"Name","value":"checkpoint"}}]}}]}}]} as unknown as DocumentNode<GraphqlEventsSubscription, GraphqlEventsSubscriptionVariables>;
export const PrivacyForgetSubjectDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"PrivacyForgetSubject"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"forgetSubject"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subjectId"},"value":{"kind":"StringValue","value":"alice","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"reason"},"value":{"kind":"StringValue","value":"GDPR Art. 17 request #1234","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}}]}}]}}]} as unknown as DocumentNode<PrivacyForgetSubjectMutation, PrivacyForgetSubjectMutationVariables>;
export const TrainingRequestTrainingRunDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TrainingRequestTrainingRun"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"TrainingRunRequestInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestTrainingRun"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<TrainingRequestTrainingRunMutation, TrainingRequestTrainingRunMutationVariables>;
export const TrainingRequestTrainingRun2Document = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TrainingRequestTrainingRun2"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestTrainingRun"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"baseModel"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"name"},"value":{"kind":"StringValue","value":"tiny","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"source"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"kind"},"value":{"kind":"EnumValue","value":"PATH"}},{"kind":"ObjectField","name":{"kind":"Name","value":"path"},"value":{"kind":"StringValue","value":"/models/tiny","block":false}}]}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"dataset"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"id"},"value":{"kind":"StringValue","value":"capital-prefs","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"revision"},"value":{"kind":"IntValue","value":"1"}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"method"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"kind"},"value":{"kind":"EnumValue","value":"PPO"}},{"kind":"ObjectField","name":{"kind":"Name","value":"rewardModel"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"name"},"value":{"kind":"StringValue","value":"capitals-rm","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"version"},"value":{"kind":"IntValue","value":"1"}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"klCoefficient"},"value":{"kind":"FloatValue","value":"0.1"}},{"kind":"ObjectField","name":{"kind":"Name","value":"clipRange"},"value":{"kind":"FloatValue","value":"0.2"}},{"kind":"ObjectField","name":{"kind":"Name","value":"rolloutsPerStep"},"value":{"kind":"IntValue","value":"8"}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"stages"},"value":{"kind":"ListValue","values":[{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"name"},"value":{"kind":"StringValue","value":"ppo","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"learningRate"},"value":{"kind":"FloatValue","value":"1e-5"}},{"kind":"ObjectField","name":{"kind":"Name","value":"batchSize"},"value":{"kind":"IntValue","value":"8"}},{"kind":"ObjectField","name":{"kind":"Name","value":"epochs"},"value":{"kind":"IntValue","value":"1"}}]}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"loss"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"kind"},"value":{"kind":"EnumValue","value":"CROSS_ENTROPY"}}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<TrainingRequestTrainingRun2Mutation, TrainingRequestTrainingRun2MutationVariables>;
export const TrainingMemoryEstimateDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TrainingMemoryEstimate"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"memoryEstimate"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"vocabSize"},"value":{"kind":"IntValue","value":"32000"}},{"kind":"ObjectField","name":{"kind":"Name","value":"hiddenSize"},"value":{"kind":"IntValue","value":"4096"}},{"kind":"ObjectField","name":{"kind":"Name","value":"intermediateSize"},"value":{"kind":"IntValue","value":"11008"}},{"kind":"ObjectField","name":{"kind":"Name","value":"numLayers"},"value":{"kind":"IntValue","value":"32"}},{"kind":"ObjectField","name":{"kind":"Name","value":"numHeads"},"value":{"kind":"IntValue","value":"32"}},{"kind":"ObjectField","name":{"kind":"Name","value":"method"},"value":{"kind":"EnumValue","value":"LORA"}},{"kind":"ObjectField","name":{"kind":"Name","value":"loraR"},"value":{"kind":"IntValue","value":"8"}},{"kind":"ObjectField","name":{"kind":"Name","value":"batchSize"},"value":{"kind":"IntValue","value":"4"}},{"kind":"ObjectField","name":{"kind":"Name","value":"sequenceLength"},"value":{"kind":"IntValue","value":"512"}},{"kind":"ObjectField","name":{"kind":"Name","value":"weightBytes"},"value":{"kind":"IntValue","value":"2"}},{"kind":"ObjectField","name":{"kind":"Name","value":"deviceMemoryGiB"},"value":{"kind":"IntValue","value":"24"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalGiB"}},{"kind":"Field","name":{"kind":"Name","value":"fits"}},{"kind":"Field","name":{"kind":"Name","value":"maxBatchSizeThatFits"}},{"kind":"Field","name":{"kind":"Name","value":"advice"}}]}}]}}]} as unknown as DocumentNode<TrainingMemoryEstimateQuery, TrainingMemoryEstimateQueryVariables>;
export const WorkDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Work"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"kind"},"value":{"kind":"EnumValue","value":"TRAIN"}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"EnumValue","value":"QUEUED"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"1"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"streamId"}},{"kind":"Field","name":{"kind":"Name","value":"payload"}}]}}]}}]}}]}}]} as unknown as DocumentNode<WorkQuery, WorkQueryVariables>;
export const ClaimDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Claim"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"claimTrainingRun"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"StringValue","value":"RUN_ID","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"backend"},"value":{"kind":"StringValue","value":"torch-cuda","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"device"},"value":{"kind":"StringValue","value":"NVIDIA A100 80GB","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"leaseMs"},"value":{"kind":"IntValue","value":"60000"}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"StringValue","value":"claim-RUN_ID","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}}]}}]}}]} as unknown as DocumentNode<ClaimMutation, ClaimMutationVariables>;
export const InputsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Inputs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"dataset"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"datasetId"},"value":{"kind":"StringValue","value":"DATASET_ID","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revisions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revision"}},{"kind":"Field","name":{"kind":"Name","value":"contentHash"}},{"kind":"Field","name":{"kind":"Name","value":"splits"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<InputsQuery, InputsQueryVariables>;
export const StageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Stage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"startStage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"StringValue","value":"RUN_ID","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"stageIndex"},"value":{"kind":"IntValue","value":"0"}},{"kind":"Argument","name":{"kind":"Name","value":"steps"},"value":{"kind":"IntValue","value":"4"}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"StringValue","value":"stage-RUN_ID-0","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<StageMutation, StageMutationVariables>;
export const ProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Progress"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"reportProgress"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"StringValue","value":"RUN_ID","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"step"},"value":{"kind":"IntValue","value":"1"}},{"kind":"ObjectField","name":{"kind":"Name","value":"totalSteps"},"value":{"kind":"IntValue","value":"4"}},{"kind":"ObjectField","name":{"kind":"Name","value":"stageIndex"},"value":{"kind":"IntValue","value":"0"}},{"kind":"ObjectField","name":{"kind":"Name","value":"epoch"},"value":{"kind":"IntValue","value":"0"}},{"kind":"ObjectField","name":{"kind":"Name","value":"loss"},"value":{"kind":"FloatValue","value":"2.31"}},{"kind":"ObjectField","name":{"kind":"Name","value":"learningRate"},"value":{"kind":"FloatValue","value":"0.00001"}},{"kind":"ObjectField","name":{"kind":"Name","value":"gradNorm"},"value":{"kind":"FloatValue","value":"1.2"}},{"kind":"ObjectField","name":{"kind":"Name","value":"tokensPerSecond"},"value":{"kind":"IntValue","value":"2100"}},{"kind":"ObjectField","name":{"kind":"Name","value":"elapsedMs"},"value":{"kind":"IntValue","value":"1500"}},{"kind":"ObjectField","name":{"kind":"Name","value":"etaMs"},"value":{"kind":"IntValue","value":"4500"}}]}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"StringValue","value":"progress-RUN_ID-1","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<ProgressMutation, ProgressMutationVariables>;
export const HeartbeatDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Heartbeat"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"heartbeat"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"StringValue","value":"RUN_ID","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"leaseMs"},"value":{"kind":"IntValue","value":"60000"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<HeartbeatMutation, HeartbeatMutationVariables>;
export const CheckpointDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Checkpoint"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"saveCheckpoint"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"StringValue","value":"RUN_ID","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"step"},"value":{"kind":"IntValue","value":"1"}},{"kind":"Argument","name":{"kind":"Name","value":"artifactHash"},"value":{"kind":"StringValue","value":"CHECKPOINT_SHA256","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"byteSize"},"value":{"kind":"IntValue","value":"2048"}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"StringValue","value":"checkpoint-RUN_ID-1","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]} as unknown as DocumentNode<CheckpointMutation, CheckpointMutationVariables>;
export const CompleteDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Complete"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"completeJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"StringValue","value":"RUN_ID","block":false}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"artifact"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"kind"},"value":{"kind":"EnumValue","value":"ADAPTER"}},{"kind":"ObjectField","name":{"kind":"Name","value":"hash"},"value":{"kind":"StringValue","value":"ADAPTER_SHA256","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"byteSize"},"value":{"kind":"IntValue","value":"4096"}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"finalLoss"},"value":{"kind":"FloatValue","value":"1.87"}},{"kind":"ObjectField","name":{"kind":"Name","value":"steps"},"value":{"kind":"IntValue","value":"4"}},{"kind":"ObjectField","name":{"kind":"Name","value":"durationMs"},"value":{"kind":"IntValue","value":"6000"}},{"kind":"ObjectField","name":{"kind":"Name","value":"tokensSeen"},"value":{"kind":"IntValue","value":"12600"}}]}},{"kind":"Argument","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"StringValue","value":"complete-RUN_ID","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"eventTypes"}}]}}]}}]} as unknown as DocumentNode<CompleteMutation, CompleteMutationVariables>;