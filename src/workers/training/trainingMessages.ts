import type { LossOptions } from '../../ml/index.js';
import type { PreparedRecord } from './trainingData.js';

/** What the training thread computes: everything resolved, nothing left to look up in the event store. */
export interface TrainingSpec {
  readonly runId: string;
  /** A Hugging Face LLaMA directory (config.json, model.safetensors, tokenizer files). */
  readonly modelDir: string;
  readonly promptFormat: string;
  readonly stages: readonly {
    readonly name: string;
    readonly learningRate: number;
    readonly batchSize: number;
    readonly epochs: number;
    readonly records: readonly PreparedRecord[];
  }[];
  readonly method:
    | {
        readonly kind: 'lora';
        readonly r: number;
        readonly alpha: number;
        readonly dropout: number;
        readonly targetModules: readonly string[];
      }
    | { readonly kind: 'full' };
  /**
   * What the steps minimise: the supervised loss on the answers, DPO on preference pairs against the
   * frozen reference (the base model; with LoRA, the model without its adapter), or the pairwise loss of a
   * reward model (the backbone and a scalar head) on preference pairs.
   */
  readonly objective:
    | { readonly kind: 'sft' }
    | {
        readonly kind: 'dpo';
        readonly beta: number;
        /**
         * The frozen reference when the run names a registry version: its base directory and, for an
         * adapter version, the adapter applied on it. Absent: the base model (LoRA: without its adapter).
         */
        readonly reference?: { readonly baseDir: string; readonly adapterDir?: string };
      }
    | { readonly kind: 'reward-model' }
    | PpoObjective;
  readonly loss: LossOptions;
  readonly seed: number;
  readonly maxSteps?: number;
  /** Progress is reported every this many optimizer steps (and at checkpoints and stage ends). */
  readonly progressEvery: number;
  /** A checkpoint is saved every this many steps and at the end of each stage. */
  readonly checkpointEvery: number;
  /** Examples per forward pass; larger batches are reached by gradient accumulation. */
  readonly microBatchSize: number;
  /** Longest example in tokens; default min(512, the model's context). */
  readonly maxLength?: number;
  /** Warm-up as a fraction of each stage's steps. */
  readonly warmupRatio: number;
  /** Also produce the base model with the adapter merged in. */
  readonly merge: boolean;
  /** TUNELEDGER_TF_BACKEND spelling; default the usual preference. */
  readonly backend?: string;
  /**
   * Data-parallel gradient workers beside the training thread (0: none). Default: one per core beyond the
   * first on the wasm and cpu backends (which compute on one core each), none on tfjs-node.
   */
  readonly gradientWorkers?: number;
  /** The gradient worker script, when it is not the compiled one beside the engine (tests bundle it). */
  readonly gradientWorkerEntry?: string;
}

/**
 * PPO: each step samples an answer to `rolloutsPerStep` prompts of the stage, scores them with the reward
 * model, and runs `settings.epochs` x `settings.minibatches` clipped updates of the policy and its value head
 * against the KL penalty of the frozen reference (a registry version, or the base model: with LoRA, the
 * policy without its adapter).
 */
export interface PpoObjective {
  readonly kind: 'ppo';
  readonly rolloutsPerStep: number;
  readonly maxResponseTokens: number;
  readonly settings: {
    readonly gamma: number;
    readonly lambda: number;
    readonly clipRange: number;
    readonly clipRangeValue: number;
    readonly valueCoefficient: number;
    readonly klCoefficient: number;
    /** Present: the adaptive controller steers towards it; absent: a fixed coefficient. */
    readonly targetKl?: number;
    readonly klHorizon: number;
    readonly epochs: number;
    readonly minibatches: number;
  };
  /** The registered reward model: its unpacked artifact, and the base model its backbone adapts. */
  readonly rewardModel: { readonly dir: string; readonly baseDir: string };
  readonly reference?: { readonly baseDir: string; readonly adapterDir?: string };
}

/** The owner's answer to 'ready': the run is claimed; resume from this checkpoint tar, if any. */
export interface StartMessage {
  readonly type: 'start';
  readonly resume?: Uint8Array;
}

/** Values of control[0], written by the owner of the thread, read before every step. */
export const CONTROL = { run: 0, cancel: 1, shutdown: 2, abandon: 3 } as const;

export interface ProgressMessage {
  readonly type: 'progress';
  readonly step: number;
  readonly totalSteps: number;
  readonly stageIndex: number;
  readonly epoch: number;
  readonly loss: number;
  readonly entityLoss?: number;
  /** Preference runs: reward accuracy and mean reward margin of the step. */
  readonly rewardAccuracy?: number;
  readonly rewardMargin?: number;
  /** PPO runs: the step's rollout statistics (see TrainingProgressReported). */
  readonly meanReward?: number;
  readonly kl?: number;
  readonly klCoefficient?: number;
  readonly entropy?: number;
  readonly clipFraction?: number;
  readonly valueLoss?: number;
  readonly explainedVariance?: number;
  readonly learningRate: number;
  readonly gradNorm: number;
  readonly tokensPerSecond: number;
  readonly elapsedMs: number;
  readonly etaMs: number;
}

export type TrainingMessage =
  | { readonly type: 'ready'; readonly backend: { readonly name: string; readonly device: string } }
  | {
      readonly type: 'stage';
      readonly stageIndex: number;
      readonly steps: number;
      readonly totalSteps: number;
    }
  | ProgressMessage
  | {
      readonly type: 'checkpoint';
      readonly step: number;
      readonly stageIndex: number;
      readonly bytes: Uint8Array;
    }
  | {
      readonly type: 'done';
      readonly adapter: Uint8Array;
      readonly artifactKind: 'adapter' | 'weights' | 'reward-model';
      readonly merged?: Uint8Array;
      readonly finalLoss: number;
      readonly steps: number;
      readonly tokensSeen: number;
      readonly durationMs: number;
      readonly skippedExamples: number;
      /** Preference runs (DPO, reward model): reward accuracy and mean margin of the last step. */
      readonly rewardAccuracy?: number;
      readonly rewardMargin?: number;
    }
  | { readonly type: 'stopped'; readonly reason: 'cancel' | 'shutdown' | 'abandon'; readonly step: number }
  | { readonly type: 'failed'; readonly message: string };
