/** Stream ids of EVENTS.md: one stream per aggregate instance, small and free of hot spots. */

export const datasetStream = (datasetId: string): string => `dataset-${datasetId}`;
export const runStream = (runId: string): string => `run-${runId}`;
export const evaluationStream = (evaluationId: string): string => `eval-${evaluationId}`;
export const modelStream = (modelName: string): string => `model-${modelName}`;
export const deploymentStream = (deploymentName: string): string => `deployment-${deploymentName}`;
export const interactionStream = (interactionId: string): string => `interaction-${interactionId}`;
export const preferenceStream = (promptId: string): string => `preference-${promptId}`;

const prefixes = {
  dataset: 'dataset-',
  run: 'run-',
  eval: 'eval-',
  model: 'model-',
  deployment: 'deployment-',
  interaction: 'interaction-',
  preference: 'preference-',
} as const;

export type StreamCategory = keyof typeof prefixes;

/** Splits a stream id into its category and the aggregate id, or undefined for a foreign stream. */
export function parseStreamId(streamId: string): { category: StreamCategory; id: string } | undefined {
  for (const [category, prefix] of Object.entries(prefixes) as [StreamCategory, string][]) {
    if (streamId.startsWith(prefix) && streamId.length > prefix.length) {
      return { category, id: streamId.slice(prefix.length) };
    }
  }
  return undefined;
}
