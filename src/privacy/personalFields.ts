/**
 * The fields of each event type that hold what a person typed or who a person is, as paths into the event's
 * data ('*' stands for every element of an array). Only these are encrypted; everything else (ids, models,
 * counts, timestamps) stays readable so lineage, metrics and the audit trail survive an erasure.
 */
export const personalFields: Readonly<Record<string, readonly (readonly string[])[]>> = {
  InteractionRecorded: [['prompt'], ['response']],
  FeedbackLabeled: [['label', 'text'], ['labeler']],
  CandidatesGenerated: [['prompt'], ['candidates', '*', 'text']],
  PreferenceRanked: [['labeler']],
};

/**
 * The data subject of an event's personal fields: the one whose key encrypts them and whose erasure erases
 * them. A served interaction and a label given over the serving API name their end user in `subjectId`
 * (OpenAI's request `user`); every other event, and one of those without it, belongs to the actor that recorded it.
 */
export function subjectOf(eventType: string, data: unknown, actor: string): string {
  if (
    (eventType === 'InteractionRecorded' || eventType === 'FeedbackLabeled') &&
    typeof data === 'object' &&
    data !== null
  ) {
    const subjectId = (data as { subjectId?: unknown }).subjectId;
    if (typeof subjectId === 'string') return subjectId;
  }
  return actor;
}

/**
 * Rewrites every personal string field of `data` with `rewrite(value, path)`, where path is the concrete
 * path (array indexes filled in). Returns a copy; fields that are absent or not of the expected shape stay.
 */
export function mapPersonalFields(
  eventType: string,
  data: unknown,
  rewrite: (value: unknown, path: string) => unknown,
): unknown {
  const paths = personalFields[eventType];
  if (!paths || typeof data !== 'object' || data === null) return data;
  let result: unknown = data;
  for (const path of paths) result = mapAt(result, path, [], rewrite);
  return result;
}

function mapAt(
  node: unknown,
  path: readonly string[],
  done: readonly string[],
  rewrite: (value: unknown, path: string) => unknown,
): unknown {
  if (path.length === 0) return node === undefined ? node : rewrite(node, done.join('.'));
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '*') {
    if (!Array.isArray(node)) return node;
    return node.map((item, index) => mapAt(item, rest, [...done, String(index)], rewrite));
  }
  if (typeof node !== 'object' || node === null || Array.isArray(node) || !(head in node)) return node;
  const record = node as Record<string, unknown>;
  return { ...record, [head]: mapAt(record[head], rest, [...done, head], rewrite) };
}
