/**
 * What each aggregate's mutations answer with: the object, read from the read model by the payload's id
 * once the command is projected. One subject per kind of object; a mutation names its subject in
 * `@CommandMutation(subjects.run, ...)`.
 */
import {
  getDataset,
  getDatasetRevision,
  getDeployment,
  getEvaluation,
  getInteraction,
  getJob,
  getModel,
  getModelVersion,
  getPreferencePrompt,
  getRun,
} from '../../projections/index.js';
import { requireAction, type ApiContext } from '../context.js';
import type { PayloadSubject } from '../types/commandPayload.type.js';
import { DatasetRevisionType, DatasetType, toDataset, toDatasetRevision } from '../types/dataset.type.js';
import { DeploymentType, toDeployment } from '../types/deployment.type.js';
import { EvaluationType, toEvaluation } from '../types/evaluation.type.js';
import { InteractionType, toInteraction } from '../types/feedback.type.js';
import { JobType, toJob } from '../types/job.type.js';
import { ModelType, ModelVersionType, toModel, toModelVersion } from '../types/model.type.js';
import { PreferencePromptType, toPreferencePrompt } from '../types/preference.type.js';
import { RunType, toRun } from '../types/run.type.js';

/**
 * An object a mutation answers with and `node(id:)` fetches: its GraphQL type, its own key (the id payloads
 * carry), and how to read it by that key.
 */
export interface NodeSubject<T extends object> extends PayloadSubject<T> {
  readonly typeName: string;
  readonly keyOf: (node: T) => string;
}

/** A subject read by its id, with the caller's right to read checked first. */
function subject<Row, T extends object>(
  field: string,
  [typeName, type]: [string, () => new () => T],
  what: string,
  keyOf: (node: T) => string,
  get: (context: ApiContext, id: string) => Promise<Row | undefined>,
  to: (row: Row) => T,
): NodeSubject<T> {
  return {
    field,
    type,
    typeName,
    keyOf,
    description: `The ${what} as it stands after the mutation; null when it was refused.`,
    load: async (context, id) => {
      requireAction(context, 'read', 'read');
      const row = await get(context, id);
      return row === undefined ? null : to(row);
    },
  };
}

/** NAME@NUMBER (a model version, a dataset revision) as its name and number; null when it is not one. */
function numberedKey(id: string): { name: string; number: number } | null {
  const at = id.lastIndexOf('@');
  const digits = id.slice(at + 1);
  return at > 0 && /^\d+$/.test(digits) ? { name: id.slice(0, at), number: Number(digits) } : null;
}

/** MODEL@VERSION, the id model-version payloads carry, as its name and version. */
export function modelVersionKey(id: string): { modelName: string; version: number } | null {
  const key = numberedKey(id);
  return key && { modelName: key.name, version: key.number };
}

export const subjects = {
  run: subject(
    'run',
    ['TrainingRun', () => RunType],
    'training run',
    (run) => run.runId,
    (c, id) => getRun(c.deps.db, id),
    toRun,
  ),
  dataset: subject(
    'dataset',
    ['Dataset', () => DatasetType],
    'dataset',
    (dataset) => dataset.datasetId,
    (c, id) => getDataset(c.deps.db, id),
    toDataset,
  ),
  evaluation: subject(
    'evaluation',
    ['Evaluation', () => EvaluationType],
    'evaluation',
    (evaluation) => evaluation.evaluationId,
    (c, id) => getEvaluation(c.deps.db, id),
    toEvaluation,
  ),
  modelVersion: subject(
    'modelVersion',
    ['ModelVersion', () => ModelVersionType],
    'model version',
    (version) => `${version.modelName}@${version.version}`,
    async (c, id) => {
      const key = modelVersionKey(id);
      return key ? getModelVersion(c.deps.db, key.modelName, key.version) : undefined;
    },
    toModelVersion,
  ),
  deployment: subject(
    'deployment',
    ['Deployment', () => DeploymentType],
    'deployment',
    (deployment) => deployment.deploymentName,
    (c, id) => getDeployment(c.deps.db, id),
    toDeployment,
  ),
  interaction: subject(
    'interaction',
    ['Interaction', () => InteractionType],
    'interaction',
    (interaction) => interaction.interactionId,
    (c, id) => getInteraction(c.deps.db, id),
    toInteraction,
  ),
  preferencePrompt: subject(
    'prompt',
    ['PreferencePrompt', () => PreferencePromptType],
    'preference prompt',
    (prompt) => prompt.promptId,
    (c, id) => getPreferencePrompt(c.deps.db, id),
    toPreferencePrompt,
  ),
  model: subject(
    'model',
    ['Model', () => ModelType],
    'model',
    (model) => model.modelName,
    (c, id) => getModel(c.deps.db, id),
    toModel,
  ),
  datasetRevision: subject(
    'revision',
    ['DatasetRevision', () => DatasetRevisionType],
    'dataset revision',
    (revision) => `${revision.datasetId}@${revision.revision}`,
    async (c, id) => {
      const key = numberedKey(id);
      return key ? getDatasetRevision(c.deps.db, key.name, key.number) : undefined;
    },
    toDatasetRevision,
  ),
  job: subject(
    'job',
    ['Job', () => JobType],
    'job',
    (job) => job.jobId,
    (c, id) => getJob(c.deps.db, id),
    toJob,
  ),
};
