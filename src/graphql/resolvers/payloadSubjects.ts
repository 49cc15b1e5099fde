/**
 * What each aggregate's mutations answer with: the object, read from the read model by the payload's id
 * once the command is projected. One subject per kind of object; a mutation names its subject in
 * `@CommandMutation(subjects.run, ...)`.
 */
import {
  getDataset,
  getDeployment,
  getEvaluation,
  getInteraction,
  getModelVersion,
  getPreferencePrompt,
  getRun,
} from '../../projections/index.js';
import { requireAction, type ApiContext } from '../context.js';
import type { PayloadSubject } from '../types/commandPayload.type.js';
import { DatasetType, toDataset } from '../types/dataset.type.js';
import { DeploymentType, toDeployment } from '../types/deployment.type.js';
import { EvaluationType, toEvaluation } from '../types/evaluation.type.js';
import { InteractionType, toInteraction } from '../types/feedback.type.js';
import { ModelVersionType, toModelVersion } from '../types/model.type.js';
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

/** MODEL@VERSION, the id model-version payloads carry, as its name and version. */
export function modelVersionKey(id: string): { modelName: string; version: number } | null {
  const at = id.lastIndexOf('@');
  const version = Number(id.slice(at + 1));
  return at > 0 && Number.isInteger(version) ? { modelName: id.slice(0, at), version } : null;
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
};
