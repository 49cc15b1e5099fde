import {
  datasetDecider,
  datasetStream,
  deploymentDecider,
  deploymentStream,
  type DatasetState,
  type DeploymentState,
} from '../../domain/index.js';
import type { AugmentationJobServices } from '../augmentation/augmentationJob.js';
import type { DeploymentJobServices } from '../deployment/deploymentJobs.js';
import { REFUSALS, type ApiStreams } from './apiStreams.js';

/**
 * The augmentation job's view of the platform for a worker with no database: the dataset's state folded
 * from its stream, the outcome reported with completeAugmentation or failAugmentation (docs/workers.md).
 */
export function apiAugmentationServices(streams: ApiStreams): AugmentationJobServices {
  const record = streams.record.bind(streams);
  return {
    datasets: {
      getDataset: (datasetId: string): Promise<DatasetState> =>
        streams.load(datasetDecider, datasetStream(datasetId)),

      completeAugmentation: ({ datasetId, augmentationId, ...fields }, context) =>
        record(
          `mutation CompleteAugmentation($datasetId: ID!, $augmentationId: ID!, $input: AugmentationCompletionInput!, $key: String) {
            completeAugmentation(datasetId: $datasetId, augmentationId: $augmentationId, input: $input, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { datasetId, augmentationId, input: fields },
          context,
        ),

      failAugmentation: ({ datasetId, augmentationId, reason }, context) =>
        record(
          `mutation FailAugmentation($datasetId: ID!, $augmentationId: ID!, $reason: String!, $key: String) {
            failAugmentation(datasetId: $datasetId, augmentationId: $augmentationId, reason: $reason, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { datasetId, augmentationId, reason },
          context,
        ),
    },
  };
}

/**
 * The deploy and rollback jobs' view of the platform for a worker with no database: the deployment's state
 * folded from its stream, the outcome reported with activateDeployment or completeRollback (docs/workers.md).
 */
export function apiDeploymentServices(streams: ApiStreams): DeploymentJobServices {
  const record = streams.record.bind(streams);
  return {
    deployments: {
      getDeployment: (deploymentName: string): Promise<DeploymentState> =>
        streams.load(deploymentDecider, deploymentStream(deploymentName)),

      activate: ({ deploymentName, endpoint }, context) =>
        record(
          `mutation ActivateDeployment($deploymentName: String!, $endpoint: String!, $key: String) {
            activateDeployment(deploymentName: $deploymentName, endpoint: $endpoint, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { deploymentName, endpoint },
          context,
        ),

      rolledBack: ({ deploymentName, rollbackId }, context) =>
        record(
          `mutation CompleteRollback($deploymentName: String!, $rollbackId: ID!, $key: String) {
            completeRollback(deploymentName: $deploymentName, rollbackId: $rollbackId, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { deploymentName, rollbackId },
          context,
        ),
    },
  };
}
