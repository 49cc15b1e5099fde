/**
 * Every operation the console sends, checked against schema.graphql by GraphQL Code Generator
 * (npm run console:codegen), which gives each its result and variable types.
 */
import { graphql } from '../gql';

export const MeQuery = graphql(`
  query Me {
    me {
      actor
      roles
      localMode
    }
  }
`);

export const RunsQuery = graphql(`
  query Runs($status: RunStatus, $kind: TrainingMethodKind, $first: Int!) {
    runs(status: $status, kind: $kind, first: $first) {
      edges {
        node {
          runId
          kind
          status
          baseModel
          datasetId
          datasetRevision
          lastStep
          totalSteps
          lastLoss
          requestedAt
        }
      }
    }
  }
`);

export const RunQuery = graphql(`
  query Run($runId: ID!) {
    run(runId: $runId) {
      runId
      kind
      status
      baseModel
      datasetId
      datasetRevision
      method
      stages
      lossKind
      seed
      maxSteps
      backend
      currentStage
      lastStep
      totalSteps
      lastLoss
      finalLoss
      failureReason
      tokensSeen
      requestedAt
      finishedAt
      checkpoints {
        edges {
          node {
            step
            artifactHash
            byteSize
            savedAt
          }
        }
      }
    }
  }
`);

export const RunMetricsQuery = graphql(`
  query RunMetrics($runId: ID!, $first: Int!) {
    run(runId: $runId) {
      runId
      metrics(first: $first) {
        edges {
          node {
            step
            stageIndex
            loss
            entityLoss
            learningRate
            tokensPerSecond
            rewardAccuracy
            rewardMargin
          }
        }
      }
    }
  }
`);

export const RunProgressSubscription = graphql(`
  subscription RunProgress($runId: ID!) {
    runProgress(runId: $runId) {
      type
      step
      totalSteps
      stageIndex
      loss
      etaMs
      rewardAccuracy
      rewardMargin
      finished
      event {
        data
      }
    }
  }
`);

export const RequestTrainingRunMutation = graphql(`
  mutation RequestTrainingRun($input: TrainingRunRequestInput!) {
    requestTrainingRun(input: $input) {
      id
      userErrors {
        code
        message
      }
    }
  }
`);

export const CancelRunMutation = graphql(`
  mutation CancelRun($runId: ID!, $reason: String!) {
    cancelTrainingRun(runId: $runId, reason: $reason) {
      id
      userErrors {
        code
        message
      }
    }
  }
`);

export const DeploymentsQuery = graphql(`
  query Deployments {
    deployments(first: 50) {
      edges {
        node {
          deploymentName
          modelName
          activeVersion
          previousVersion
          requestedVersion
          status
          environment
          endpoint
          rollbackCount
          degradationCount
          lastDegradation
          updatedAt
          history(first: 20) {
            edges {
              node {
                kind
                version
                fromVersion
                recordedAt
                details
              }
            }
          }
        }
      }
    }
  }
`);

export const ModelsQuery = graphql(`
  query Models {
    models(first: 50) {
      edges {
        node {
          modelName
          versions(first: 20) {
            edges {
              node {
                version
                stage
                runId
                registeredAt
                approvedBy
                retained
              }
            }
          }
        }
      }
    }
  }
`);

export const RollbackMutation = graphql(`
  mutation Rollback($deploymentName: String!, $toVersion: Int!, $reason: String!) {
    requestRollback(deploymentName: $deploymentName, toVersion: $toVersion, reason: $reason) {
      id
      userErrors {
        code
        message
      }
    }
  }
`);

export const DeployMutation = graphql(`
  mutation Deploy($deploymentName: String!, $modelName: String!, $version: Int!, $environment: String!) {
    requestDeployment(
      deploymentName: $deploymentName
      modelName: $modelName
      version: $version
      environment: $environment
    ) {
      id
      userErrors {
        code
        message
      }
    }
  }
`);

export const PreferencePromptsQuery = graphql(`
  query PreferencePrompts {
    preferencePrompts(first: 50) {
      edges {
        node {
          promptId
          prompt
          rankingCount
          candidates {
            candidateId
            text
          }
        }
      }
    }
  }
`);

export const RankPreferenceMutation = graphql(`
  mutation RankPreference($promptId: ID!, $ranking: [ID!]!) {
    rankPreference(promptId: $promptId, ranking: $ranking) {
      id
      userErrors {
        code
        message
      }
    }
  }
`);

export const BuildPreferenceRevisionMutation = graphql(`
  mutation BuildPreferenceRevision($datasetId: ID!) {
    buildPreferenceRevision(datasetId: $datasetId) {
      datasetId
      revision
      pairsAdded
      rankedPrompts
    }
  }
`);

export const AuditByDeploymentQuery = graphql(`
  query AuditByDeployment($deployment: String!, $asOf: DateTime) {
    auditReport(deployment: $deployment, asOf: $asOf) {
      modelName
      version
      allChainsIntact
      integrity {
        streamId
        ok
      }
      report
    }
  }
`);

export const AuditByModelQuery = graphql(`
  query AuditByModel($modelName: String!, $version: Int!) {
    auditReport(modelName: $modelName, version: $version) {
      modelName
      version
      allChainsIntact
      integrity {
        streamId
        ok
      }
      report
    }
  }
`);

export const InteractionsQuery = graphql(`
  query Interactions($first: Int!) {
    interactions(first: $first) {
      edges {
        node {
          interactionId
          deploymentName
          modelName
          modelVersion
          prompt
          response
          recordedAt
          labelCount
          labels {
            edges {
              node {
                eventId
                kind
                labeler
                thumbsUp
                correction
              }
            }
          }
        }
      }
    }
  }
`);

export const LabelFeedbackMutation = graphql(`
  mutation LabelFeedback($interactionId: ID!, $label: FeedbackLabelInput!) {
    labelFeedback(interactionId: $interactionId, label: $label) {
      id
    }
  }
`);
