import {
  loadRewardModel,
  scoreResponses,
  type LlamaModel,
  type RewardHead,
  type Rollout,
  type RolloutScorer,
} from '../../ml/index.js';
import { buildTrainingExample, promptFormatByName, type PromptFormat } from '../../ml/prompts/index.js';
import type { PromptRecord } from '../../ml/prompts/index.js';
import { loadTokenizer, type Tokenizer } from '../../ml/tokenizers/index.js';
import type { PreparedRecord } from './trainingData.js';

/** A PPO prompt: its tokens as the policy sees them, and the record the reward model renders it from. */
export interface PpoPrompt {
  readonly ids: readonly number[];
  readonly record: PromptRecord;
}

/**
 * The prompt of a dataset record in the run's prompt format (the tokens before the answer), or undefined
 * when it leaves no room for an answer of maxResponseTokens within maxLength.
 */
export function ppoPrompt(
  prepared: PreparedRecord,
  format: PromptFormat,
  tokenizer: Tokenizer,
  maxLength: number,
  maxResponseTokens: number,
): PpoPrompt | undefined {
  const { output: _output, ...record } = prepared.record;
  const built = buildTrainingExample({ ...record, output: '' }, format, tokenizer, { maxLength });
  const answerStart = built.lossMask.indexOf(1);
  const ids = answerStart < 0 ? built.inputIds : built.inputIds.slice(0, answerStart);
  if (ids.length === 0 || ids.length + maxResponseTokens > maxLength) return undefined;
  return { ids, record };
}

/** The registered reward model, loaded to score the policy's answers as text in its own prompt format. */
export interface LoadedRewardModel {
  readonly scorer: (prompts: readonly PpoPrompt[]) => RolloutScorer;
  dispose(): void;
}

export async function loadRewardScorer(
  files: { readonly dir: string; readonly baseDir: string },
  policyTokenizer: Tokenizer,
  runPromptFormat: string,
): Promise<LoadedRewardModel> {
  const { model, head, config } = loadRewardModel(files.dir, files.baseDir);
  let tokenizer: Tokenizer;
  try {
    tokenizer = await loadTokenizer(files.baseDir);
  } catch (error) {
    disposeAll(model, head);
    throw error;
  }
  const format = promptFormatByName(config.prompt_format ?? runPromptFormat, tokenizer);
  const stopIds = new Set([policyTokenizer.eosId, ...policyTokenizer.stopIds]);
  return {
    scorer(prompts) {
      // ppoIteration hands back the very prompt arrays it was given: they name the record.
      const recordOf = new Map(prompts.map((p) => [p.ids, p.record]));
      return (rollouts: readonly Rollout[]) =>
        rollouts.map((rollout) => {
          const record = recordOf.get(rollout.prompt);
          if (!record) throw new Error('a rollout of a prompt this step did not sample');
          const answer = rollout.response.filter((id) => !stopIds.has(id));
          return scoreResponses(model, head, tokenizer, format, record, [policyTokenizer.decode(answer)])[0]!;
        });
    },
    dispose: () => disposeAll(model, head),
  };
}

function disposeAll(model: LlamaModel, head: RewardHead) {
  model.dispose();
  head.dispose();
}
