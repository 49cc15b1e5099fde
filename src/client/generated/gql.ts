/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query ReadmeDatasets {\n  datasets(first: 5) {\n    edges {\n      node {\n        datasetId\n        name\n        domain\n      }\n    }\n  }\n}": typeof types.ReadmeDatasetsDocument,
    "mutation DataIngestDataset($content: String!) {\n  ingestDataset(\n    input: {name: \"medical-qa\", domain: \"medical\", content: $content, lenient: false}\n  ) {\n    datasetId\n    revision\n    registered\n    unchanged\n    contentHash\n    recordCount\n    format\n    facts\n    eventTypes\n    checkpoint\n  }\n}": typeof types.DataIngestDatasetDocument,
    "mutation DataRequestAugmentation($lexicon: JSON!) {\n  requestAugmentation(\n    input: {datasetId: \"…\", revision: 1, lexicon: $lexicon, seed: 7}\n  ) {\n    augmentationId\n    baseRevision\n    lexiconHash\n    templates\n    eventTypes\n  }\n}": typeof types.DataRequestAugmentationDocument,
    "query GraphqlRuns {\n  runs(first: 10, status: RUNNING) {\n    edges {\n      cursor\n      node {\n        runId\n        status\n        lastStep\n        totalSteps\n        lastLoss\n        metricSeries(names: [LOSS, LEARNING_RATE], first: 1000) {\n          series {\n            name\n            steps\n            values\n          }\n          nextFromStep\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.GraphqlRunsDocument,
    "query GraphqlRuns2 {\n  runs(\n    first: 50\n    requestedAfter: \"2026-11-23T00:00:00Z\"\n    requestedBefore: \"2026-11-24T00:00:00Z\"\n  ) {\n    edges {\n      node {\n        runId\n        status\n        requestedAt\n      }\n    }\n  }\n}": typeof types.GraphqlRuns2Document,
    "query GraphqlModel {\n  model(modelName: \"llama-med\", asOf: \"2026-11-23T09:00:00Z\") {\n    productionVersion\n    versions {\n      edges {\n        node {\n          version\n          stage\n          retained\n          approvedBy\n        }\n      }\n    }\n  }\n  deployment(deploymentName: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    activeVersion\n  }\n}": typeof types.GraphqlModelDocument,
    "query GraphqlLineage {\n  lineage(id: \"model:llama-med@3\", direction: UPSTREAM, depth: 10) {\n    nodes {\n      nodeId\n      kind\n      label\n    }\n    edges {\n      from\n      to\n      relation\n      eventId\n    }\n  }\n}": typeof types.GraphqlLineageDocument,
    "query GraphqlAuditReport {\n  auditReport(modelName: \"llama-med\", version: 3) {\n    allChainsIntact\n    integrity {\n      streamId\n      ok\n    }\n    markdown\n  }\n}": typeof types.GraphqlAuditReportDocument,
    "query GraphqlAuditReport2 {\n  auditReport(deployment: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    modelName\n    version\n    report\n  }\n}": typeof types.GraphqlAuditReport2Document,
    "query GraphqlLog {\n  log(\n    first: 100\n    filter: {streamPrefixes: [\"run-\"], types: [\"TrainingRunFailed\"]}\n  ) {\n    edges {\n      cursor\n      node {\n        streamId\n        type\n        data\n        metadata {\n          actor\n          recordedAt\n        }\n      }\n    }\n  }\n}": typeof types.GraphqlLogDocument,
    "query GraphqlRuns3($before: String) {\n  runs(last: 20, before: $before) {\n    edges {\n      node {\n        runId\n        status\n      }\n    }\n    pageInfo {\n      hasPreviousPage\n      startCursor\n    }\n  }\n}": typeof types.GraphqlRuns3Document,
    "query GraphqlDataset {\n  dataset(datasetId: \"support\") {\n    revision(revision: 1) {\n      records(first: 20) {\n        edges {\n          cursor\n          node {\n            index\n            messages {\n              role\n              content\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": typeof types.GraphqlDatasetDocument,
    "query GraphqlNode($id: ID!) {\n  node(id: $id) {\n    id\n    ... on TrainingRun {\n      runId\n      status\n    }\n    ... on ModelVersion {\n      modelName\n      version\n      stage\n    }\n  }\n}": typeof types.GraphqlNodeDocument,
    "mutation GraphqlRegisterDataset {\n  registerDataset(name: \"med-qa\", format: ALPACA, idempotencyKey: \"reg-med-qa\") {\n    id\n  }\n}": typeof types.GraphqlRegisterDatasetDocument,
    "mutation GraphqlRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input, idempotencyKey: \"run-42\") {\n    id\n    streamId\n    version\n    replayed\n    eventIds\n    eventTypes\n    checkpoint\n    run {\n      runId\n      status\n    }\n    userErrors {\n      code\n      kind\n      field\n      message\n    }\n  }\n}": typeof types.GraphqlRequestTrainingRunDocument,
    "mutation GraphqlPromoteModelVersion {\n  promoteModelVersion(\n    modelName: \"llama-med\"\n    version: 3\n    stage: PRODUCTION\n    evaluationIds: [\"...\"]\n  ) {\n    id\n  }\n}": typeof types.GraphqlPromoteModelVersionDocument,
    "mutation GraphqlRequestDeployment {\n  requestDeployment(\n    deploymentName: \"med-assistant\"\n    modelName: \"llama-med\"\n    version: 3\n    environment: \"prod\"\n    reason: \"passed eval\"\n  ) {\n    id\n  }\n}": typeof types.GraphqlRequestDeploymentDocument,
    "mutation GraphqlRequestRollback {\n  requestRollback(\n    deploymentName: \"med-assistant\"\n    toVersion: 2\n    reason: \"entropy up\"\n  ) {\n    id\n  }\n}": typeof types.GraphqlRequestRollbackDocument,
    "subscription GraphqlRunProgress {\n  runProgress(runId: \"...\") {\n    type\n    step\n    totalSteps\n    stageIndex\n    stageName\n    loss\n    entityLoss\n    learningRate\n    tokensPerSecond\n    etaMs\n    finished\n    event {\n      checkpoint\n      data\n    }\n  }\n}": typeof types.GraphqlRunProgressDocument,
    "subscription GraphqlEvents {\n  events(filter: {streamPrefixes: [\"deployment-\"]}, from: \"<checkpoint>\") {\n    type\n    streamId\n    data\n    checkpoint\n  }\n}": typeof types.GraphqlEventsDocument,
    "mutation PrivacyForgetSubject {\n  forgetSubject(subjectId: \"alice\", reason: \"GDPR Art. 17 request #1234\") {\n    id\n    eventTypes\n  }\n}": typeof types.PrivacyForgetSubjectDocument,
    "mutation TrainingRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input) {\n    id\n  }\n}": typeof types.TrainingRequestTrainingRunDocument,
    "mutation TrainingRequestTrainingRun2 {\n  requestTrainingRun(\n    input: {baseModel: {name: \"tiny\", source: {kind: PATH, path: \"/models/tiny\"}}, dataset: {id: \"capital-prefs\", revision: 1}, method: {kind: PPO, rewardModel: {name: \"capitals-rm\", version: 1}, klCoefficient: 0.1, clipRange: 0.2, rolloutsPerStep: 8}, stages: [{name: \"ppo\", learningRate: 1e-5, batchSize: 8, epochs: 1}], loss: {kind: CROSS_ENTROPY}}\n  ) {\n    id\n  }\n}": typeof types.TrainingRequestTrainingRun2Document,
    "query TrainingMemoryEstimate {\n  memoryEstimate(\n    input: {vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, method: LORA, loraR: 8, batchSize: 4, sequenceLength: 512, weightBytes: 2, deviceMemoryGiB: 24}\n  ) {\n    totalGiB\n    fits\n    maxBatchSizeThatFits\n    advice\n  }\n}": typeof types.TrainingMemoryEstimateDocument,
    "query Work {\n  jobs(kind: TRAIN, status: QUEUED, first: 1) {\n    edges {\n      node {\n        jobId\n        streamId\n        payload\n      }\n    }\n  }\n}": typeof types.WorkDocument,
    "mutation Claim {\n  claimTrainingRun(\n    runId: \"RUN_ID\"\n    backend: \"torch-cuda\"\n    device: \"NVIDIA A100 80GB\"\n    leaseMs: 60000\n    idempotencyKey: \"claim-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}": typeof types.ClaimDocument,
    "query Inputs {\n  dataset(datasetId: \"DATASET_ID\") {\n    revisions(first: 10) {\n      edges {\n        node {\n          revision\n          contentHash\n          splits\n        }\n      }\n    }\n  }\n}": typeof types.InputsDocument,
    "mutation Stage {\n  startStage(\n    runId: \"RUN_ID\"\n    stageIndex: 0\n    steps: 4\n    idempotencyKey: \"stage-RUN_ID-0\"\n  ) {\n    id\n  }\n}": typeof types.StageDocument,
    "mutation Progress {\n  reportProgress(\n    runId: \"RUN_ID\"\n    input: {step: 1, totalSteps: 4, stageIndex: 0, epoch: 0, loss: 2.31, learningRate: 0.00001, gradNorm: 1.2, tokensPerSecond: 2100, elapsedMs: 1500, etaMs: 4500}\n    idempotencyKey: \"progress-RUN_ID-1\"\n  ) {\n    id\n  }\n}": typeof types.ProgressDocument,
    "mutation Heartbeat {\n  heartbeat(runId: \"RUN_ID\", leaseMs: 60000) {\n    id\n  }\n}": typeof types.HeartbeatDocument,
    "mutation Checkpoint {\n  saveCheckpoint(\n    runId: \"RUN_ID\"\n    step: 1\n    artifactHash: \"CHECKPOINT_SHA256\"\n    byteSize: 2048\n    idempotencyKey: \"checkpoint-RUN_ID-1\"\n  ) {\n    id\n  }\n}": typeof types.CheckpointDocument,
    "mutation Complete {\n  completeJob(\n    runId: \"RUN_ID\"\n    input: {artifact: {kind: ADAPTER, hash: \"ADAPTER_SHA256\", byteSize: 4096}, finalLoss: 1.87, steps: 4, durationMs: 6000, tokensSeen: 12600}\n    idempotencyKey: \"complete-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}": typeof types.CompleteDocument,
};
const documents: Documents = {
    "query ReadmeDatasets {\n  datasets(first: 5) {\n    edges {\n      node {\n        datasetId\n        name\n        domain\n      }\n    }\n  }\n}": types.ReadmeDatasetsDocument,
    "mutation DataIngestDataset($content: String!) {\n  ingestDataset(\n    input: {name: \"medical-qa\", domain: \"medical\", content: $content, lenient: false}\n  ) {\n    datasetId\n    revision\n    registered\n    unchanged\n    contentHash\n    recordCount\n    format\n    facts\n    eventTypes\n    checkpoint\n  }\n}": types.DataIngestDatasetDocument,
    "mutation DataRequestAugmentation($lexicon: JSON!) {\n  requestAugmentation(\n    input: {datasetId: \"…\", revision: 1, lexicon: $lexicon, seed: 7}\n  ) {\n    augmentationId\n    baseRevision\n    lexiconHash\n    templates\n    eventTypes\n  }\n}": types.DataRequestAugmentationDocument,
    "query GraphqlRuns {\n  runs(first: 10, status: RUNNING) {\n    edges {\n      cursor\n      node {\n        runId\n        status\n        lastStep\n        totalSteps\n        lastLoss\n        metricSeries(names: [LOSS, LEARNING_RATE], first: 1000) {\n          series {\n            name\n            steps\n            values\n          }\n          nextFromStep\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.GraphqlRunsDocument,
    "query GraphqlRuns2 {\n  runs(\n    first: 50\n    requestedAfter: \"2026-11-23T00:00:00Z\"\n    requestedBefore: \"2026-11-24T00:00:00Z\"\n  ) {\n    edges {\n      node {\n        runId\n        status\n        requestedAt\n      }\n    }\n  }\n}": types.GraphqlRuns2Document,
    "query GraphqlModel {\n  model(modelName: \"llama-med\", asOf: \"2026-11-23T09:00:00Z\") {\n    productionVersion\n    versions {\n      edges {\n        node {\n          version\n          stage\n          retained\n          approvedBy\n        }\n      }\n    }\n  }\n  deployment(deploymentName: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    activeVersion\n  }\n}": types.GraphqlModelDocument,
    "query GraphqlLineage {\n  lineage(id: \"model:llama-med@3\", direction: UPSTREAM, depth: 10) {\n    nodes {\n      nodeId\n      kind\n      label\n    }\n    edges {\n      from\n      to\n      relation\n      eventId\n    }\n  }\n}": types.GraphqlLineageDocument,
    "query GraphqlAuditReport {\n  auditReport(modelName: \"llama-med\", version: 3) {\n    allChainsIntact\n    integrity {\n      streamId\n      ok\n    }\n    markdown\n  }\n}": types.GraphqlAuditReportDocument,
    "query GraphqlAuditReport2 {\n  auditReport(deployment: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    modelName\n    version\n    report\n  }\n}": types.GraphqlAuditReport2Document,
    "query GraphqlLog {\n  log(\n    first: 100\n    filter: {streamPrefixes: [\"run-\"], types: [\"TrainingRunFailed\"]}\n  ) {\n    edges {\n      cursor\n      node {\n        streamId\n        type\n        data\n        metadata {\n          actor\n          recordedAt\n        }\n      }\n    }\n  }\n}": types.GraphqlLogDocument,
    "query GraphqlRuns3($before: String) {\n  runs(last: 20, before: $before) {\n    edges {\n      node {\n        runId\n        status\n      }\n    }\n    pageInfo {\n      hasPreviousPage\n      startCursor\n    }\n  }\n}": types.GraphqlRuns3Document,
    "query GraphqlDataset {\n  dataset(datasetId: \"support\") {\n    revision(revision: 1) {\n      records(first: 20) {\n        edges {\n          cursor\n          node {\n            index\n            messages {\n              role\n              content\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}": types.GraphqlDatasetDocument,
    "query GraphqlNode($id: ID!) {\n  node(id: $id) {\n    id\n    ... on TrainingRun {\n      runId\n      status\n    }\n    ... on ModelVersion {\n      modelName\n      version\n      stage\n    }\n  }\n}": types.GraphqlNodeDocument,
    "mutation GraphqlRegisterDataset {\n  registerDataset(name: \"med-qa\", format: ALPACA, idempotencyKey: \"reg-med-qa\") {\n    id\n  }\n}": types.GraphqlRegisterDatasetDocument,
    "mutation GraphqlRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input, idempotencyKey: \"run-42\") {\n    id\n    streamId\n    version\n    replayed\n    eventIds\n    eventTypes\n    checkpoint\n    run {\n      runId\n      status\n    }\n    userErrors {\n      code\n      kind\n      field\n      message\n    }\n  }\n}": types.GraphqlRequestTrainingRunDocument,
    "mutation GraphqlPromoteModelVersion {\n  promoteModelVersion(\n    modelName: \"llama-med\"\n    version: 3\n    stage: PRODUCTION\n    evaluationIds: [\"...\"]\n  ) {\n    id\n  }\n}": types.GraphqlPromoteModelVersionDocument,
    "mutation GraphqlRequestDeployment {\n  requestDeployment(\n    deploymentName: \"med-assistant\"\n    modelName: \"llama-med\"\n    version: 3\n    environment: \"prod\"\n    reason: \"passed eval\"\n  ) {\n    id\n  }\n}": types.GraphqlRequestDeploymentDocument,
    "mutation GraphqlRequestRollback {\n  requestRollback(\n    deploymentName: \"med-assistant\"\n    toVersion: 2\n    reason: \"entropy up\"\n  ) {\n    id\n  }\n}": types.GraphqlRequestRollbackDocument,
    "subscription GraphqlRunProgress {\n  runProgress(runId: \"...\") {\n    type\n    step\n    totalSteps\n    stageIndex\n    stageName\n    loss\n    entityLoss\n    learningRate\n    tokensPerSecond\n    etaMs\n    finished\n    event {\n      checkpoint\n      data\n    }\n  }\n}": types.GraphqlRunProgressDocument,
    "subscription GraphqlEvents {\n  events(filter: {streamPrefixes: [\"deployment-\"]}, from: \"<checkpoint>\") {\n    type\n    streamId\n    data\n    checkpoint\n  }\n}": types.GraphqlEventsDocument,
    "mutation PrivacyForgetSubject {\n  forgetSubject(subjectId: \"alice\", reason: \"GDPR Art. 17 request #1234\") {\n    id\n    eventTypes\n  }\n}": types.PrivacyForgetSubjectDocument,
    "mutation TrainingRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input) {\n    id\n  }\n}": types.TrainingRequestTrainingRunDocument,
    "mutation TrainingRequestTrainingRun2 {\n  requestTrainingRun(\n    input: {baseModel: {name: \"tiny\", source: {kind: PATH, path: \"/models/tiny\"}}, dataset: {id: \"capital-prefs\", revision: 1}, method: {kind: PPO, rewardModel: {name: \"capitals-rm\", version: 1}, klCoefficient: 0.1, clipRange: 0.2, rolloutsPerStep: 8}, stages: [{name: \"ppo\", learningRate: 1e-5, batchSize: 8, epochs: 1}], loss: {kind: CROSS_ENTROPY}}\n  ) {\n    id\n  }\n}": types.TrainingRequestTrainingRun2Document,
    "query TrainingMemoryEstimate {\n  memoryEstimate(\n    input: {vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, method: LORA, loraR: 8, batchSize: 4, sequenceLength: 512, weightBytes: 2, deviceMemoryGiB: 24}\n  ) {\n    totalGiB\n    fits\n    maxBatchSizeThatFits\n    advice\n  }\n}": types.TrainingMemoryEstimateDocument,
    "query Work {\n  jobs(kind: TRAIN, status: QUEUED, first: 1) {\n    edges {\n      node {\n        jobId\n        streamId\n        payload\n      }\n    }\n  }\n}": types.WorkDocument,
    "mutation Claim {\n  claimTrainingRun(\n    runId: \"RUN_ID\"\n    backend: \"torch-cuda\"\n    device: \"NVIDIA A100 80GB\"\n    leaseMs: 60000\n    idempotencyKey: \"claim-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}": types.ClaimDocument,
    "query Inputs {\n  dataset(datasetId: \"DATASET_ID\") {\n    revisions(first: 10) {\n      edges {\n        node {\n          revision\n          contentHash\n          splits\n        }\n      }\n    }\n  }\n}": types.InputsDocument,
    "mutation Stage {\n  startStage(\n    runId: \"RUN_ID\"\n    stageIndex: 0\n    steps: 4\n    idempotencyKey: \"stage-RUN_ID-0\"\n  ) {\n    id\n  }\n}": types.StageDocument,
    "mutation Progress {\n  reportProgress(\n    runId: \"RUN_ID\"\n    input: {step: 1, totalSteps: 4, stageIndex: 0, epoch: 0, loss: 2.31, learningRate: 0.00001, gradNorm: 1.2, tokensPerSecond: 2100, elapsedMs: 1500, etaMs: 4500}\n    idempotencyKey: \"progress-RUN_ID-1\"\n  ) {\n    id\n  }\n}": types.ProgressDocument,
    "mutation Heartbeat {\n  heartbeat(runId: \"RUN_ID\", leaseMs: 60000) {\n    id\n  }\n}": types.HeartbeatDocument,
    "mutation Checkpoint {\n  saveCheckpoint(\n    runId: \"RUN_ID\"\n    step: 1\n    artifactHash: \"CHECKPOINT_SHA256\"\n    byteSize: 2048\n    idempotencyKey: \"checkpoint-RUN_ID-1\"\n  ) {\n    id\n  }\n}": types.CheckpointDocument,
    "mutation Complete {\n  completeJob(\n    runId: \"RUN_ID\"\n    input: {artifact: {kind: ADAPTER, hash: \"ADAPTER_SHA256\", byteSize: 4096}, finalLoss: 1.87, steps: 4, durationMs: 6000, tokensSeen: 12600}\n    idempotencyKey: \"complete-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}": types.CompleteDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ReadmeDatasets {\n  datasets(first: 5) {\n    edges {\n      node {\n        datasetId\n        name\n        domain\n      }\n    }\n  }\n}"): (typeof documents)["query ReadmeDatasets {\n  datasets(first: 5) {\n    edges {\n      node {\n        datasetId\n        name\n        domain\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DataIngestDataset($content: String!) {\n  ingestDataset(\n    input: {name: \"medical-qa\", domain: \"medical\", content: $content, lenient: false}\n  ) {\n    datasetId\n    revision\n    registered\n    unchanged\n    contentHash\n    recordCount\n    format\n    facts\n    eventTypes\n    checkpoint\n  }\n}"): (typeof documents)["mutation DataIngestDataset($content: String!) {\n  ingestDataset(\n    input: {name: \"medical-qa\", domain: \"medical\", content: $content, lenient: false}\n  ) {\n    datasetId\n    revision\n    registered\n    unchanged\n    contentHash\n    recordCount\n    format\n    facts\n    eventTypes\n    checkpoint\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DataRequestAugmentation($lexicon: JSON!) {\n  requestAugmentation(\n    input: {datasetId: \"…\", revision: 1, lexicon: $lexicon, seed: 7}\n  ) {\n    augmentationId\n    baseRevision\n    lexiconHash\n    templates\n    eventTypes\n  }\n}"): (typeof documents)["mutation DataRequestAugmentation($lexicon: JSON!) {\n  requestAugmentation(\n    input: {datasetId: \"…\", revision: 1, lexicon: $lexicon, seed: 7}\n  ) {\n    augmentationId\n    baseRevision\n    lexiconHash\n    templates\n    eventTypes\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlRuns {\n  runs(first: 10, status: RUNNING) {\n    edges {\n      cursor\n      node {\n        runId\n        status\n        lastStep\n        totalSteps\n        lastLoss\n        metricSeries(names: [LOSS, LEARNING_RATE], first: 1000) {\n          series {\n            name\n            steps\n            values\n          }\n          nextFromStep\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query GraphqlRuns {\n  runs(first: 10, status: RUNNING) {\n    edges {\n      cursor\n      node {\n        runId\n        status\n        lastStep\n        totalSteps\n        lastLoss\n        metricSeries(names: [LOSS, LEARNING_RATE], first: 1000) {\n          series {\n            name\n            steps\n            values\n          }\n          nextFromStep\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlRuns2 {\n  runs(\n    first: 50\n    requestedAfter: \"2026-11-23T00:00:00Z\"\n    requestedBefore: \"2026-11-24T00:00:00Z\"\n  ) {\n    edges {\n      node {\n        runId\n        status\n        requestedAt\n      }\n    }\n  }\n}"): (typeof documents)["query GraphqlRuns2 {\n  runs(\n    first: 50\n    requestedAfter: \"2026-11-23T00:00:00Z\"\n    requestedBefore: \"2026-11-24T00:00:00Z\"\n  ) {\n    edges {\n      node {\n        runId\n        status\n        requestedAt\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlModel {\n  model(modelName: \"llama-med\", asOf: \"2026-11-23T09:00:00Z\") {\n    productionVersion\n    versions {\n      edges {\n        node {\n          version\n          stage\n          retained\n          approvedBy\n        }\n      }\n    }\n  }\n  deployment(deploymentName: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    activeVersion\n  }\n}"): (typeof documents)["query GraphqlModel {\n  model(modelName: \"llama-med\", asOf: \"2026-11-23T09:00:00Z\") {\n    productionVersion\n    versions {\n      edges {\n        node {\n          version\n          stage\n          retained\n          approvedBy\n        }\n      }\n    }\n  }\n  deployment(deploymentName: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    activeVersion\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlLineage {\n  lineage(id: \"model:llama-med@3\", direction: UPSTREAM, depth: 10) {\n    nodes {\n      nodeId\n      kind\n      label\n    }\n    edges {\n      from\n      to\n      relation\n      eventId\n    }\n  }\n}"): (typeof documents)["query GraphqlLineage {\n  lineage(id: \"model:llama-med@3\", direction: UPSTREAM, depth: 10) {\n    nodes {\n      nodeId\n      kind\n      label\n    }\n    edges {\n      from\n      to\n      relation\n      eventId\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlAuditReport {\n  auditReport(modelName: \"llama-med\", version: 3) {\n    allChainsIntact\n    integrity {\n      streamId\n      ok\n    }\n    markdown\n  }\n}"): (typeof documents)["query GraphqlAuditReport {\n  auditReport(modelName: \"llama-med\", version: 3) {\n    allChainsIntact\n    integrity {\n      streamId\n      ok\n    }\n    markdown\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlAuditReport2 {\n  auditReport(deployment: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    modelName\n    version\n    report\n  }\n}"): (typeof documents)["query GraphqlAuditReport2 {\n  auditReport(deployment: \"med-assistant\", asOf: \"2026-11-23T09:00:00Z\") {\n    modelName\n    version\n    report\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlLog {\n  log(\n    first: 100\n    filter: {streamPrefixes: [\"run-\"], types: [\"TrainingRunFailed\"]}\n  ) {\n    edges {\n      cursor\n      node {\n        streamId\n        type\n        data\n        metadata {\n          actor\n          recordedAt\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query GraphqlLog {\n  log(\n    first: 100\n    filter: {streamPrefixes: [\"run-\"], types: [\"TrainingRunFailed\"]}\n  ) {\n    edges {\n      cursor\n      node {\n        streamId\n        type\n        data\n        metadata {\n          actor\n          recordedAt\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlRuns3($before: String) {\n  runs(last: 20, before: $before) {\n    edges {\n      node {\n        runId\n        status\n      }\n    }\n    pageInfo {\n      hasPreviousPage\n      startCursor\n    }\n  }\n}"): (typeof documents)["query GraphqlRuns3($before: String) {\n  runs(last: 20, before: $before) {\n    edges {\n      node {\n        runId\n        status\n      }\n    }\n    pageInfo {\n      hasPreviousPage\n      startCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlDataset {\n  dataset(datasetId: \"support\") {\n    revision(revision: 1) {\n      records(first: 20) {\n        edges {\n          cursor\n          node {\n            index\n            messages {\n              role\n              content\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query GraphqlDataset {\n  dataset(datasetId: \"support\") {\n    revision(revision: 1) {\n      records(first: 20) {\n        edges {\n          cursor\n          node {\n            index\n            messages {\n              role\n              content\n            }\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GraphqlNode($id: ID!) {\n  node(id: $id) {\n    id\n    ... on TrainingRun {\n      runId\n      status\n    }\n    ... on ModelVersion {\n      modelName\n      version\n      stage\n    }\n  }\n}"): (typeof documents)["query GraphqlNode($id: ID!) {\n  node(id: $id) {\n    id\n    ... on TrainingRun {\n      runId\n      status\n    }\n    ... on ModelVersion {\n      modelName\n      version\n      stage\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GraphqlRegisterDataset {\n  registerDataset(name: \"med-qa\", format: ALPACA, idempotencyKey: \"reg-med-qa\") {\n    id\n  }\n}"): (typeof documents)["mutation GraphqlRegisterDataset {\n  registerDataset(name: \"med-qa\", format: ALPACA, idempotencyKey: \"reg-med-qa\") {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GraphqlRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input, idempotencyKey: \"run-42\") {\n    id\n    streamId\n    version\n    replayed\n    eventIds\n    eventTypes\n    checkpoint\n    run {\n      runId\n      status\n    }\n    userErrors {\n      code\n      kind\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation GraphqlRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input, idempotencyKey: \"run-42\") {\n    id\n    streamId\n    version\n    replayed\n    eventIds\n    eventTypes\n    checkpoint\n    run {\n      runId\n      status\n    }\n    userErrors {\n      code\n      kind\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GraphqlPromoteModelVersion {\n  promoteModelVersion(\n    modelName: \"llama-med\"\n    version: 3\n    stage: PRODUCTION\n    evaluationIds: [\"...\"]\n  ) {\n    id\n  }\n}"): (typeof documents)["mutation GraphqlPromoteModelVersion {\n  promoteModelVersion(\n    modelName: \"llama-med\"\n    version: 3\n    stage: PRODUCTION\n    evaluationIds: [\"...\"]\n  ) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GraphqlRequestDeployment {\n  requestDeployment(\n    deploymentName: \"med-assistant\"\n    modelName: \"llama-med\"\n    version: 3\n    environment: \"prod\"\n    reason: \"passed eval\"\n  ) {\n    id\n  }\n}"): (typeof documents)["mutation GraphqlRequestDeployment {\n  requestDeployment(\n    deploymentName: \"med-assistant\"\n    modelName: \"llama-med\"\n    version: 3\n    environment: \"prod\"\n    reason: \"passed eval\"\n  ) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GraphqlRequestRollback {\n  requestRollback(\n    deploymentName: \"med-assistant\"\n    toVersion: 2\n    reason: \"entropy up\"\n  ) {\n    id\n  }\n}"): (typeof documents)["mutation GraphqlRequestRollback {\n  requestRollback(\n    deploymentName: \"med-assistant\"\n    toVersion: 2\n    reason: \"entropy up\"\n  ) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription GraphqlRunProgress {\n  runProgress(runId: \"...\") {\n    type\n    step\n    totalSteps\n    stageIndex\n    stageName\n    loss\n    entityLoss\n    learningRate\n    tokensPerSecond\n    etaMs\n    finished\n    event {\n      checkpoint\n      data\n    }\n  }\n}"): (typeof documents)["subscription GraphqlRunProgress {\n  runProgress(runId: \"...\") {\n    type\n    step\n    totalSteps\n    stageIndex\n    stageName\n    loss\n    entityLoss\n    learningRate\n    tokensPerSecond\n    etaMs\n    finished\n    event {\n      checkpoint\n      data\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription GraphqlEvents {\n  events(filter: {streamPrefixes: [\"deployment-\"]}, from: \"<checkpoint>\") {\n    type\n    streamId\n    data\n    checkpoint\n  }\n}"): (typeof documents)["subscription GraphqlEvents {\n  events(filter: {streamPrefixes: [\"deployment-\"]}, from: \"<checkpoint>\") {\n    type\n    streamId\n    data\n    checkpoint\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PrivacyForgetSubject {\n  forgetSubject(subjectId: \"alice\", reason: \"GDPR Art. 17 request #1234\") {\n    id\n    eventTypes\n  }\n}"): (typeof documents)["mutation PrivacyForgetSubject {\n  forgetSubject(subjectId: \"alice\", reason: \"GDPR Art. 17 request #1234\") {\n    id\n    eventTypes\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TrainingRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input) {\n    id\n  }\n}"): (typeof documents)["mutation TrainingRequestTrainingRun($input: TrainingRunRequestInput!) {\n  requestTrainingRun(input: $input) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TrainingRequestTrainingRun2 {\n  requestTrainingRun(\n    input: {baseModel: {name: \"tiny\", source: {kind: PATH, path: \"/models/tiny\"}}, dataset: {id: \"capital-prefs\", revision: 1}, method: {kind: PPO, rewardModel: {name: \"capitals-rm\", version: 1}, klCoefficient: 0.1, clipRange: 0.2, rolloutsPerStep: 8}, stages: [{name: \"ppo\", learningRate: 1e-5, batchSize: 8, epochs: 1}], loss: {kind: CROSS_ENTROPY}}\n  ) {\n    id\n  }\n}"): (typeof documents)["mutation TrainingRequestTrainingRun2 {\n  requestTrainingRun(\n    input: {baseModel: {name: \"tiny\", source: {kind: PATH, path: \"/models/tiny\"}}, dataset: {id: \"capital-prefs\", revision: 1}, method: {kind: PPO, rewardModel: {name: \"capitals-rm\", version: 1}, klCoefficient: 0.1, clipRange: 0.2, rolloutsPerStep: 8}, stages: [{name: \"ppo\", learningRate: 1e-5, batchSize: 8, epochs: 1}], loss: {kind: CROSS_ENTROPY}}\n  ) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query TrainingMemoryEstimate {\n  memoryEstimate(\n    input: {vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, method: LORA, loraR: 8, batchSize: 4, sequenceLength: 512, weightBytes: 2, deviceMemoryGiB: 24}\n  ) {\n    totalGiB\n    fits\n    maxBatchSizeThatFits\n    advice\n  }\n}"): (typeof documents)["query TrainingMemoryEstimate {\n  memoryEstimate(\n    input: {vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, method: LORA, loraR: 8, batchSize: 4, sequenceLength: 512, weightBytes: 2, deviceMemoryGiB: 24}\n  ) {\n    totalGiB\n    fits\n    maxBatchSizeThatFits\n    advice\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Work {\n  jobs(kind: TRAIN, status: QUEUED, first: 1) {\n    edges {\n      node {\n        jobId\n        streamId\n        payload\n      }\n    }\n  }\n}"): (typeof documents)["query Work {\n  jobs(kind: TRAIN, status: QUEUED, first: 1) {\n    edges {\n      node {\n        jobId\n        streamId\n        payload\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Claim {\n  claimTrainingRun(\n    runId: \"RUN_ID\"\n    backend: \"torch-cuda\"\n    device: \"NVIDIA A100 80GB\"\n    leaseMs: 60000\n    idempotencyKey: \"claim-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}"): (typeof documents)["mutation Claim {\n  claimTrainingRun(\n    runId: \"RUN_ID\"\n    backend: \"torch-cuda\"\n    device: \"NVIDIA A100 80GB\"\n    leaseMs: 60000\n    idempotencyKey: \"claim-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Inputs {\n  dataset(datasetId: \"DATASET_ID\") {\n    revisions(first: 10) {\n      edges {\n        node {\n          revision\n          contentHash\n          splits\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query Inputs {\n  dataset(datasetId: \"DATASET_ID\") {\n    revisions(first: 10) {\n      edges {\n        node {\n          revision\n          contentHash\n          splits\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Stage {\n  startStage(\n    runId: \"RUN_ID\"\n    stageIndex: 0\n    steps: 4\n    idempotencyKey: \"stage-RUN_ID-0\"\n  ) {\n    id\n  }\n}"): (typeof documents)["mutation Stage {\n  startStage(\n    runId: \"RUN_ID\"\n    stageIndex: 0\n    steps: 4\n    idempotencyKey: \"stage-RUN_ID-0\"\n  ) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Progress {\n  reportProgress(\n    runId: \"RUN_ID\"\n    input: {step: 1, totalSteps: 4, stageIndex: 0, epoch: 0, loss: 2.31, learningRate: 0.00001, gradNorm: 1.2, tokensPerSecond: 2100, elapsedMs: 1500, etaMs: 4500}\n    idempotencyKey: \"progress-RUN_ID-1\"\n  ) {\n    id\n  }\n}"): (typeof documents)["mutation Progress {\n  reportProgress(\n    runId: \"RUN_ID\"\n    input: {step: 1, totalSteps: 4, stageIndex: 0, epoch: 0, loss: 2.31, learningRate: 0.00001, gradNorm: 1.2, tokensPerSecond: 2100, elapsedMs: 1500, etaMs: 4500}\n    idempotencyKey: \"progress-RUN_ID-1\"\n  ) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Heartbeat {\n  heartbeat(runId: \"RUN_ID\", leaseMs: 60000) {\n    id\n  }\n}"): (typeof documents)["mutation Heartbeat {\n  heartbeat(runId: \"RUN_ID\", leaseMs: 60000) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Checkpoint {\n  saveCheckpoint(\n    runId: \"RUN_ID\"\n    step: 1\n    artifactHash: \"CHECKPOINT_SHA256\"\n    byteSize: 2048\n    idempotencyKey: \"checkpoint-RUN_ID-1\"\n  ) {\n    id\n  }\n}"): (typeof documents)["mutation Checkpoint {\n  saveCheckpoint(\n    runId: \"RUN_ID\"\n    step: 1\n    artifactHash: \"CHECKPOINT_SHA256\"\n    byteSize: 2048\n    idempotencyKey: \"checkpoint-RUN_ID-1\"\n  ) {\n    id\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Complete {\n  completeJob(\n    runId: \"RUN_ID\"\n    input: {artifact: {kind: ADAPTER, hash: \"ADAPTER_SHA256\", byteSize: 4096}, finalLoss: 1.87, steps: 4, durationMs: 6000, tokensSeen: 12600}\n    idempotencyKey: \"complete-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}"): (typeof documents)["mutation Complete {\n  completeJob(\n    runId: \"RUN_ID\"\n    input: {artifact: {kind: ADAPTER, hash: \"ADAPTER_SHA256\", byteSize: 4096}, finalLoss: 1.87, steps: 4, durationMs: 6000, tokensSeen: 12600}\n    idempotencyKey: \"complete-RUN_ID\"\n  ) {\n    id\n    eventTypes\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;