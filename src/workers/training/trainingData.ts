import { type DatasetRecord } from '../../data/index.js';
import { NOISE_TYPES, noisyVariant, seededRandom, shuffle } from '../../data/noise/index.js';
import type { TrainingRecord } from '../../ml/prompts/index.js';

/** The guide's stages live in the domain, which resolves them into requests that name none. */
export { defaultTrainingStages } from '../../domain/index.js';
import type { TrainingStage } from '../../domain/index.js';

/** A record as the training thread needs it: prompt parts, answer, and the entity terms of its answer. */
export interface PreparedRecord {
  readonly record: TrainingRecord;
  readonly entityTerms: readonly string[];
  /** Preference records: the answer people ranked below `record.output` (DPO trains on the pair). */
  readonly rejected?: string;
}

/** A canonical dataset record as a prompt-format record; undefined for records with no answer to learn. */
export function toTrainingRecord(record: DatasetRecord): TrainingRecord | undefined {
  const messages = [...record.messages];
  const system = messages[0]?.role === 'system' ? messages.shift()!.content : undefined;
  let output: string | undefined = record.chosen;
  if (output === undefined) {
    const last = messages.pop();
    if (last?.role !== 'assistant') return undefined;
    output = last.content;
  }
  const user = messages.pop();
  if (user?.role !== 'user') return undefined;
  const history: Array<[string, string]> = [];
  for (let i = 0; i + 1 < messages.length; i += 2) {
    const [u, a] = [messages[i]!, messages[i + 1]!];
    if (u.role === 'user' && a.role === 'assistant') history.push([u.content, a.content]);
  }
  return {
    instruction: user.content,
    output,
    ...(system !== undefined ? { system } : {}),
    ...(history.length > 0 ? { history } : {}),
  };
}

/**
 * The records of one stage. Filters: `all` (or none); `domain`: records with lexicon entity spans, or all
 * records when none has any (a single-domain dataset still trains its domain stage); `general`: records
 * without entity spans, or all when every record has some; `template:<id>`: records generated from that
 * augmentation template; `contains:<text>`: records whose instruction contains the text.
 */
export function selectRecords(
  records: readonly DatasetRecord[],
  filter: string | undefined,
): DatasetRecord[] {
  const spec = (filter ?? 'all').trim();
  const hasEntities = (r: DatasetRecord) => (r.entities?.length ?? 0) > 0;
  const orAll = (selected: DatasetRecord[]) => (selected.length > 0 ? selected : [...records]);
  if (spec === '' || spec === 'all') return [...records];
  if (spec === 'domain') return orAll(records.filter(hasEntities));
  if (spec === 'general') return orAll(records.filter((r) => !hasEntities(r)));
  if (spec.startsWith('template:')) {
    const id = spec.slice('template:'.length);
    return records.filter((r) => r.provenance?.templateId === id);
  }
  if (spec.startsWith('contains:')) {
    const text = spec.slice('contains:'.length);
    return records.filter((r) => r.messages.some((m) => m.role === 'user' && m.content.includes(text)));
  }
  throw new Error(
    `unknown stage datasetFilter "${spec}"; use all, domain, general, template:<id> or contains:<text>`,
  );
}

/**
 * The stage's training records. With `noise` set (a robustness stage) every record is kept and joined by one
 * noisy variant of its instruction (prompt injection, typos at rate `noise`, a distractor sentence or
 * reordered sentences, the kind drawn from the seed), with the same answer: the model learns to answer the
 * question, not the noise. Entity terms are kept out of typos.
 */
export function prepareStageRecords(
  records: readonly DatasetRecord[],
  stage: Pick<TrainingStage, 'noise'>,
  options: { readonly lexiconTerms: readonly string[]; readonly seed: number; readonly stageIndex: number },
): PreparedRecord[] {
  const prepared: PreparedRecord[] = [];
  records.forEach((record, index) => {
    const training = toTrainingRecord(record);
    if (!training) return;
    const entityTerms = [
      ...new Set([...(record.entities ?? []).map((e) => e.term), ...options.lexiconTerms]),
    ];
    const rejected = record.rejected !== undefined ? { rejected: record.rejected } : {};
    prepared.push({ record: training, entityTerms, ...rejected });
    if (stage.noise === undefined) return;
    const seed = `${options.seed}:${options.stageIndex}:${index}`;
    // The kind is drawn from the seed; a kind that leaves this instruction as it was (one sentence to
    // reorder, no letter hit by typos) gives way to the next.
    const first = Math.floor(seededRandom(seed)() * NOISE_TYPES.length);
    let instruction: string | undefined;
    for (let k = 0; k < NOISE_TYPES.length && instruction === undefined; k++) {
      const type = NOISE_TYPES[(first + k) % NOISE_TYPES.length]!;
      const variant = noisyVariant(training.instruction, type, {
        seed,
        entities: entityTerms,
        typoRate: Math.max(stage.noise, 0.01),
      });
      if (variant !== training.instruction) instruction = variant;
    }
    if (instruction === undefined) return;
    prepared.push({ record: { ...training, instruction }, entityTerms, ...rejected });
  });
  return prepared;
}

/**
 * Which examples each step of a stage trains on: epoch after epoch, each a seeded shuffle, cut into batches.
 * The same (seed, stage) gives the same order, so a run resumed at step s trains on what it would have.
 */
export function batchOrder(
  count: number,
  batchSize: number,
  steps: number,
  seed: number,
  stageIndex: number,
): number[][] {
  const indices = Array.from({ length: count }, (_, i) => i);
  const flat: number[] = [];
  for (let epoch = 0; flat.length < steps * batchSize; epoch++) {
    flat.push(...shuffle(seededRandom(`${seed}:${stageIndex}:${epoch}`), indices));
  }
  return Array.from({ length: steps }, (_, s) => flat.slice(s * batchSize, (s + 1) * batchSize));
}

/** Optimizer steps of a stage: epochs over the examples, in batches, the last one partial. */
export function stageSteps(examples: number, batchSize: number, epochs: number): number {
  return Math.max(1, Math.ceil((examples * epochs) / batchSize));
}
