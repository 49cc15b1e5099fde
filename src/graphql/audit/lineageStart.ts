/**
 * Which lineage node a client means. `lineage(id:)` takes a node id (`run:<id>`, `model:<name>@<v>`, ...)
 * or an id the API hands out elsewhere: a runId, evaluationId, interactionId or deployment name, a
 * promotion's `NAME@V`, a dataset's `ID@REVISION`. A bare id is tried under each kind it could be; the
 * one node that exists is the start. None is NOT_FOUND; several (a run and an evaluation sharing an id)
 * is BAD_USER_INPUT listing the node ids to choose from.
 */
import { badInput, notFound } from '../errors.js';

const kinds = ['dataset', 'run', 'model', 'evaluation', 'deployment', 'interaction'] as const;

/** The node ids `id` may stand for, most specific first. */
export function lineageCandidates(id: string): string[] {
  const colon = id.indexOf(':');
  if (colon > 0 && (kinds as readonly string[]).includes(id.slice(0, colon))) return [id];
  const versioned = /^.+@[1-9][0-9]*$/.test(id);
  return versioned
    ? [`model:${id}`, `dataset:${id}`]
    : [`run:${id}`, `evaluation:${id}`, `deployment:${id}`, `interaction:${id}`];
}

/** The start node among the candidates that `exists` reports; throws when there is not exactly one. */
export async function lineageStart(
  id: string,
  exists: (nodeIds: string[]) => Promise<ReadonlySet<string>>,
): Promise<string> {
  const candidates = lineageCandidates(id);
  const found = await exists(candidates);
  const matches = candidates.filter((candidate) => found.has(candidate));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw notFound(
      `no lineage node ${JSON.stringify(id)}${candidates.length > 1 || candidates[0] !== id ? ` (looked for ${candidates.join(', ')})` : ''}`,
    );
  throw badInput(`lineage id ${JSON.stringify(id)} is ambiguous: pass one of ${matches.join(', ')}`);
}
