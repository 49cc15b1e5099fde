/**
 * The operations of the Datasets, Evaluations and Lineage pages (read-only), checked against schema.graphql by
 * GraphQL Code Generator like those in operations.ts.
 */
import { graphql } from '../gql';

export const DatasetsQuery = graphql(`
  query Datasets($first: Int!, $includeArchived: Boolean!) {
    datasets(first: $first, includeArchived: $includeArchived) {
      edges {
        node {
          datasetId
          name
          domain
          format
          latestRevision
          revisionCount
          archived
          registeredAt
          updatedAt
        }
      }
    }
  }
`);

export const DatasetQuery = graphql(`
  query Dataset($datasetId: ID!) {
    dataset(datasetId: $datasetId) {
      datasetId
      name
      domain
      description
      format
      archived
      archivedReason
      latestRevision
      registeredAt
      revisions(first: 100) {
        edges {
          node {
            revision
            parentRevision
            transformKind
            transform
            recordCount
            byteSize
            contentHash
            splits
            piiReport
            qualityReport
            sourceInteractionCount
            addedAt
          }
        }
      }
    }
  }
`);

export const EvaluationsQuery = graphql(`
  query Evaluations($first: Int!, $status: EvaluationStatus) {
    evaluations(first: $first, status: $status) {
      edges {
        node {
          evaluationId
          modelName
          modelVersion
          datasetId
          datasetRevision
          status
          gatePassed
          metrics
          requestedAt
          finishedAt
        }
      }
    }
  }
`);

export const EvaluationQuery = graphql(`
  query Evaluation($evaluationId: ID!) {
    evaluation(evaluationId: $evaluationId) {
      evaluationId
      modelName
      modelVersion
      datasetId
      datasetRevision
      status
      suites
      gate
      gatePassed
      gateFailures
      metrics
      categories
      errorTaxonomy
      artifacts
      completedExamples
      totalExamples
      failureReason
      requestedAt
      finishedAt
    }
    evaluationTaxonomy(evaluationId: $evaluationId) {
      corrected
      corrections {
        recordId
        automatic
        corrected
        labeler
        labeledAt
      }
    }
  }
`);

export const LineageQuery = graphql(`
  query Lineage($id: ID!, $direction: LineageDirection!, $asOf: DateTime) {
    lineage(id: $id, direction: $direction, asOf: $asOf) {
      asOf
      truncated
      nodes {
        nodeId
        kind
        label
        createdAt
        attributes
      }
      edges {
        from
        to
        relation
        createdAt
      }
    }
  }
`);

export const DatasetRecordsQuery = graphql(`
  query DatasetRecords($datasetId: ID!, $revision: Int!, $first: Int!, $after: String) {
    dataset(datasetId: $datasetId) {
      datasetId
      name
      revision(revision: $revision) {
        revision
        recordCount
        records(first: $first, after: $after) {
          edges {
            node {
              index
              messages {
                role
                content
              }
              chosen
              rejected
            }
          }
          pageInfo {
            hasNextPage
            endCursor
          }
        }
      }
    }
  }
`);
