/**
 * The GraphQL enums of closed sets, each built from the domain's (or a read model's) own list of values, so
 * the contract cannot drift from what the platform records. Every enum value is named in UPPER_CASE in
 * GraphQL and carries the domain's value inside the server: `OPENAI_MESSAGES` is 'openai-messages',
 * `ENTITY_LOSS` would be 'entityLoss'. Resolvers see and return the domain's values.
 */
import { registerEnumType } from 'type-graphql';
import { graphqlEnumValueName } from '../enumValueName.js';
import {
  datasetFormat,
  feedbackLabelKinds,
  modelStage,
  promotionStage,
  trainingLossKinds,
  trainingMethodKinds,
  transformKind,
} from '../../domain/index.js';
import {
  deploymentHistoryKinds,
  deploymentStatuses,
  evaluationStatuses,
  jobKinds,
  jobStatuses,
  lineageNodeKinds,
  lineageRelations,
  runStatuses,
} from '../../projections/index.js';
import { MESSAGE_ROLES } from '../../data/formats/index.js';
import { memoryEstimateMethods } from '../../ml/memory/index.js';
import { roles } from '../auth/roles.js';
import { runProgressEventTypes } from './runProgressEventTypes.js';

export { graphqlEnumValueName };

/** A registered GraphQL enum: GraphQL name → domain value. */
export type GraphqlEnum<V extends string> = Readonly<Record<string, V>>;

const enumsByValues = new Map<string, GraphqlEnum<string>>();
const valuesKey = (values: readonly string[]) => JSON.stringify([...values].sort());

/** The enum already registered with exactly these values, if any (zodInputType reuses it). */
export const knownEnumWithValues = (values: readonly string[]): GraphqlEnum<string> | undefined =>
  enumsByValues.get(valuesKey(values));

export const graphqlEnumOf = <V extends string>(
  name: string,
  values: readonly V[],
  description: string,
): GraphqlEnum<V> => {
  const members: Record<string, V> = {};
  for (const value of values) {
    const key = graphqlEnumValueName(value);
    if (key in members) throw new Error(`${name}: ${value} and ${members[key]} both become ${key}`);
    members[key] = value;
  }
  registerEnumType(members, { name, description });
  const registered = Object.freeze(members);
  if (!enumsByValues.has(valuesKey(values))) enumsByValues.set(valuesKey(values), registered);
  return registered;
};

export const DatasetFormatEnum = graphqlEnumOf(
  'DatasetFormat',
  datasetFormat.options,
  "A dataset's record format (domain: datasetFormat).",
);

export const TransformKindEnum = graphqlEnumOf(
  'TransformKind',
  transformKind.options,
  'What made a dataset revision (domain: transformKind).',
);

export const ModelStageEnum = graphqlEnumOf(
  'ModelStage',
  modelStage.options,
  "A model version's stage in the registry (domain: modelStage).",
);

export const PromotionStageEnum = graphqlEnumOf(
  'PromotionStage',
  promotionStage.options,
  'A stage a model version can be promoted to (domain: promotionStage).',
);

export const RunStatusEnum = graphqlEnumOf(
  'RunStatus',
  runStatuses,
  "A training run's status (read model: runStatuses).",
);

export const JobStatusEnum = graphqlEnumOf(
  'JobStatus',
  jobStatuses,
  "A worker job's status (read model: jobStatuses).",
);

export const JobKindEnum = graphqlEnumOf('JobKind', jobKinds, "A worker job's kind (read model: jobKinds).");

export const TrainingMethodKindEnum = graphqlEnumOf(
  'TrainingMethodKind',
  trainingMethodKinds,
  "A training run's method (domain: trainingMethod's kinds).",
);

export const LossKindEnum = graphqlEnumOf(
  'LossKind',
  trainingLossKinds,
  "A training run's loss (domain: trainingLoss's kinds).",
);

export const EvaluationStatusEnum = graphqlEnumOf(
  'EvaluationStatus',
  evaluationStatuses,
  "An evaluation's status (read model: evaluationStatuses).",
);

export const DeploymentStatusEnum = graphqlEnumOf(
  'DeploymentStatus',
  deploymentStatuses,
  "A deployment's status (read model: deploymentStatuses).",
);

export const MessageRoleEnum = graphqlEnumOf(
  'MessageRole',
  MESSAGE_ROLES,
  'Who speaks in a turn of a dataset record (data: MESSAGE_ROLES).',
);

export const FeedbackLabelKindEnum = graphqlEnumOf(
  'FeedbackLabelKind',
  feedbackLabelKinds,
  "A feedback label's kind (domain: feedbackLabel's kinds).",
);

export const LineageNodeKindEnum = graphqlEnumOf(
  'LineageNodeKind',
  lineageNodeKinds,
  'What a lineage node stands for (read model: lineageNodeKinds).',
);

export const LineageRelationEnum = graphqlEnumOf(
  'LineageRelation',
  lineageRelations,
  "How a lineage edge's target came from its source (read model: lineageRelations).",
);

export const DeploymentHistoryKindEnum = graphqlEnumOf(
  'DeploymentHistoryKind',
  deploymentHistoryKinds,
  "What a line of a deployment's history records (read model: deploymentHistoryKinds).",
);

export const RoleEnum = graphqlEnumOf('Role', roles, 'A role an API token carries (auth: roles).');

export const MemoryEstimateMethodEnum = graphqlEnumOf(
  'MemoryEstimateMethod',
  memoryEstimateMethods,
  'A method memory can be estimated for (ml: memoryEstimateMethods).',
);

export const RunProgressEventTypeEnum = graphqlEnumOf(
  'RunProgressEventType',
  runProgressEventTypes,
  'The event type of a run progress update (runProgressEventTypes).',
);
