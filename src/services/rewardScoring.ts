import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelRef } from '../domain/index.js';
import {
  loadRewardModel,
  PromptFillsContextError,
  scoreExchanges,
  scoreResponses,
  type LlamaModel,
  type RewardHead,
} from '../ml/index.js';
import { promptFormatByName, type PromptFormat } from '../ml/prompts/index.js';
import { loadTokenizer, type Tokenizer } from '../ml/tokenizers/index.js';
import { modelKey, type ModelResolver } from './modelFiles.js';

/** The file that makes an unpacked artifact a reward model (written by saveRewardModel). */
const REWARD_CONFIG = 'reward_config.json';

/** A prompt to score answers to, as a training record without its answer. */
export interface ScoredPrompt {
  readonly instruction: string;
  readonly input?: string;
}

/** A prompt and the answer given to it (a served interaction). */
export interface ScoredExchange {
  readonly prompt: ScoredPrompt;
  readonly response: string;
}

/** Scores answers with a registered reward model; the API's `rewardScores` query and the flywheel's scorer. */
export interface RewardScorer {
  score(model: ModelRef, prompt: ScoredPrompt, answers: readonly string[]): Promise<number[]>;
  /** One score per exchange, in batches; null where the prompt leaves the answer no token to score. */
  scoreExchanges(model: ModelRef, exchanges: readonly ScoredExchange[]): Promise<(number | null)[]>;
}

/** What the caller asked cannot be scored: the version is not a reward model, or the prompt leaves no room. */
export class RewardScoringRequestError extends Error {
  override readonly name = 'RewardScoringRequestError';
}

interface LoadedScorer {
  readonly model: LlamaModel;
  readonly head: RewardHead;
  readonly tokenizer: Tokenizer;
  readonly format: PromptFormat;
}

/**
 * Reward models resolved through the registry and kept loaded, the most recently used first; at most
 * `maxLoaded` at once (each holds a backbone's weights). Loads of one version at once share one load.
 */
export class RegistryRewardScorer implements RewardScorer {
  private readonly loaded = new Map<string, Promise<LoadedScorer>>();

  constructor(
    private readonly resolver: ModelResolver,
    private readonly maxLoaded = 2,
  ) {}

  async score(model: ModelRef, prompt: ScoredPrompt, answers: readonly string[]): Promise<number[]> {
    const scorer = await this.scorerFor(model);
    try {
      return scoreResponses(scorer.model, scorer.head, scorer.tokenizer, scorer.format, prompt, answers);
    } catch (error) {
      if (error instanceof PromptFillsContextError) {
        throw new RewardScoringRequestError(`${model.name} v${model.version}: ${error.message}`);
      }
      throw error;
    }
  }

  async scoreExchanges(model: ModelRef, exchanges: readonly ScoredExchange[]): Promise<(number | null)[]> {
    const scorer = await this.scorerFor(model);
    return scoreExchanges(scorer.model, scorer.head, scorer.tokenizer, scorer.format, exchanges);
  }

  /** Frees every loaded model. */
  dispose(): void {
    for (const pending of this.loaded.values()) void pending.then(release, () => {});
    this.loaded.clear();
  }

  private scorerFor(model: ModelRef): Promise<LoadedScorer> {
    const key = modelKey(model);
    const cached = this.loaded.get(key);
    if (cached) {
      // Most recently used last, so the first key is the one to evict.
      this.loaded.delete(key);
      this.loaded.set(key, cached);
      return cached;
    }
    const loading = this.load(model);
    this.loaded.set(key, loading);
    loading.catch(() => this.loaded.delete(key));
    while (this.loaded.size > this.maxLoaded) {
      const [oldest, pending] = this.loaded.entries().next().value as [string, Promise<LoadedScorer>];
      this.loaded.delete(oldest);
      void pending.then(release, () => {});
    }
    return loading;
  }

  private async load(model: ModelRef): Promise<LoadedScorer> {
    const files = await this.resolver.resolve(model);
    if (!files.adapterDir || !existsSync(join(files.adapterDir, REWARD_CONFIG))) {
      throw new RewardScoringRequestError(
        `${model.name} v${model.version} is not a reward model (train one with a run whose objective is reward-model)`,
      );
    }
    const { model: backbone, head, config } = loadRewardModel(files.adapterDir, files.baseDir);
    try {
      const tokenizer = await loadTokenizer(files.baseDir);
      const format = promptFormatByName(config.prompt_format ?? files.promptFormat ?? 'alpaca', tokenizer);
      return { model: backbone, head, tokenizer, format };
    } catch (error) {
      release({ model: backbone, head });
      throw error;
    }
  }
}

function release(scorer: Pick<LoadedScorer, 'model' | 'head'>): void {
  scorer.model.dispose();
  scorer.head.dispose();
}
