import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  defaultGradientWorkers,
  initBackend,
  KlController,
  ppoIteration,
  ValueHead,
  loadModel,
  LoraAdapter,
  RewardHead,
  Rng,
  saveModel,
  saveRewardModel,
  Trainer,
  type LlamaModel,
  type LoraOptions,
  type PreferencePair,
  type StepMetrics,
  type TrainerOptions,
  type TrainingExample,
} from '../../ml/index.js';
import { buildTrainingExample, promptFormatByName } from '../../ml/prompts/index.js';
import { loadTokenizer } from '../../ml/tokenizers/index.js';
import { loadRewardScorer, ppoPrompt, type LoadedRewardModel, type PpoPrompt } from './ppoRollouts.js';
import { packTar, unpackTar } from './tarball.js';
import { batchOrder, stageSteps, type PreparedRecord } from './trainingData.js';
import {
  CONTROL,
  type ProgressMessage,
  type TrainingMessage,
  type TrainingSpec,
} from './trainingMessages.js';

const positionSchema = z.object({
  format: z.literal('tuneledger-run-position/1'),
  step: z.number().int().min(0),
  stageIndex: z.number().int().min(0),
  stepInStage: z.number().int().min(0),
  tokensSeen: z.number().min(0),
  elapsedMs: z.number().min(0),
  lastLoss: z.number(),
  lastRewardAccuracy: z.number().optional(),
  lastRewardMargin: z.number().optional(),
  /** PPO: the KL coefficient the next step penalises with (the adaptive controller's state). */
  klCoefficient: z.number().optional(),
});
type Position = z.infer<typeof positionSchema>;

export interface TrainingIo {
  emit(message: TrainingMessage): void;
  /**
   * Resolves once the owner has claimed the run (after 'ready' told it the backend), with the checkpoint to
   * resume from, if any.
   */
  start(): Promise<{ readonly resume?: Uint8Array }>;
  /** control[0] holds a CONTROL value; read before every optimizer step. */
  readonly control: Int32Array;
}

/**
 * Trains one run: builds the examples of each stage with the prompt format (loss on response tokens only,
 * entity mask from the lexicon terms), then runs the stages in order, each with its own learning rate,
 * batch (gradient accumulation above microBatchSize), epochs and cosine schedule, on one LoRA adapter.
 * A DPO run builds each preference record into a pair (chosen and rejected answer to the same prompt) and
 * takes DPO steps against the frozen reference, on this thread alone.
 * Reports progress, writes checkpoints that resume exactly, and stops between steps when told to.
 * Runs in a worker thread: it blocks while it computes.
 */
export async function runTraining(spec: TrainingSpec, io: TrainingIo): Promise<void> {
  const started = performance.now();
  const backend = await initBackend(spec.backend);
  const objective = objectiveOf(spec);
  // The gradient workers compute the supervised loss only: a preference or PPO run trains on this thread alone.
  const gradientWorkers =
    objective.pairwise || objective.ppo
      ? 0
      : (spec.gradientWorkers ?? defaultGradientWorkers(backend.backend, spec.gradientWorkerEntry));
  const device =
    gradientWorkers > 0
      ? `${backend.device}; data parallel: the training thread and ${gradientWorkers} gradient worker${gradientWorkers > 1 ? 's' : ''}`
      : backend.device;
  io.emit({ type: 'ready', backend: { name: backend.backend, device } });
  const { resume } = await io.start();
  const model = loadModel(spec.modelDir);
  const tokenizer = await loadTokenizer(spec.modelDir);
  const { stageItems, skippedExamples } = prepareStages(spec, objective, model, tokenizer);
  const { dpo, ppo } = objective;
  // DPO against a registry version loads that version (its base, with its adapter if it has one); without
  // one, full fine-tuning compares the policy with a frozen copy of the base weights.
  const referenceFiles = dpo?.reference ?? ppo?.reference;
  const reference: LlamaModel | undefined = referenceFiles
    ? loadReference(referenceFiles, model)
    : (dpo || ppo) && spec.method.kind === 'full'
      ? loadModel(spec.modelDir)
      : undefined;
  // A reward model's scalar head, trained through every stage with the backbone; a resumed attempt
  // restores it from the checkpoint (trainable.safetensors holds it as score.weight).
  const rewardHead = objective.rewardModel
    ? RewardHead.create(model.config.hiddenSize, new Rng(spec.seed ^ REWARD_HEAD_SEED))
    : undefined;
  // PPO's value head: trained with the policy, saved in every checkpoint (trainable.safetensors).
  const valueHead = ppo
    ? ValueHead.create(model.config.hiddenSize, new Rng(spec.seed ^ VALUE_HEAD_SEED))
    : undefined;
  let rewardScorer: LoadedRewardModel | undefined;
  const steps = stepsPerStage(spec, stageItems, ppo);
  const scratch = mkdtempSync(join(tmpdir(), `tuneledger-run-${spec.runId}-`));
  try {
    if (ppo) rewardScorer = await loadRewardScorer(ppo.rewardModel, tokenizer, spec.promptFormat);
    const restored = restorePosition(resume, scratch, steps);
    const run: RunContext = {
      spec,
      io,
      objective,
      model,
      tokenizer,
      stageItems,
      steps,
      totalSteps: steps.reduce((a, b) => a + b, 0),
      // PPO's optimizer steps: epochs x minibatches per rollout batch.
      updatesPerStep: ppo ? ppo.settings.epochs * ppo.settings.minibatches : 1,
      gradientWorkers,
      scratch,
      reference,
      heads: rewardHead ? { rewardHead } : valueHead ? { valueHead } : {},
      rewardScorer,
      klController: ppo
        ? new KlController(
            restored.position.klCoefficient ?? ppo.settings.klCoefficient,
            ppo.settings.targetKl,
            ppo.settings.klHorizon,
          )
        : undefined,
    };
    const position = await trainStages(run, restored, resume !== undefined);
    if (position === 'stopped') return;
    const result = saveResult(spec, model, rewardHead, join(scratch, 'out'));
    io.emit({
      type: 'done',
      ...result,
      finalLoss: position.lastLoss,
      steps: position.step,
      tokensSeen: position.tokensSeen,
      durationMs: restored.position.elapsedMs + (performance.now() - started),
      skippedExamples,
      ...(position.lastRewardAccuracy !== undefined ? { rewardAccuracy: position.lastRewardAccuracy } : {}),
      ...(position.lastRewardMargin !== undefined ? { rewardMargin: position.lastRewardMargin } : {}),
    });
  } finally {
    model.dispose();
    reference?.dispose();
    rewardHead?.dispose();
    valueHead?.dispose();
    rewardScorer?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What the run optimises, read once from the spec. */
interface Objective {
  readonly dpo: Extract<TrainingSpec['objective'], { kind: 'dpo' }> | undefined;
  readonly ppo: Extract<TrainingSpec['objective'], { kind: 'ppo' }> | undefined;
  readonly rewardModel: boolean;
  /** DPO and reward models train on pairs: the chosen and the rejected answer to one prompt. */
  readonly pairwise: boolean;
}

function objectiveOf(spec: TrainingSpec): Objective {
  const { objective } = spec;
  const dpo = objective.kind === 'dpo' ? objective : undefined;
  const rewardModel = objective.kind === 'reward-model';
  return {
    dpo,
    ppo: objective.kind === 'ppo' ? objective : undefined,
    rewardModel,
    pairwise: dpo !== undefined || rewardModel,
  };
}

type Tokenizer = Awaited<ReturnType<typeof loadTokenizer>>;

/** Everything the stage loop reads; set up once per attempt. */
interface RunContext {
  readonly spec: TrainingSpec;
  readonly io: TrainingIo;
  readonly objective: Objective;
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  readonly stageItems: readonly (readonly StageItem[])[];
  /** Optimizer steps of each stage (after maxSteps). */
  readonly steps: readonly number[];
  readonly totalSteps: number;
  readonly updatesPerStep: number;
  readonly gradientWorkers: number;
  readonly scratch: string;
  readonly reference: LlamaModel | undefined;
  readonly heads: { readonly rewardHead?: RewardHead; readonly valueHead?: ValueHead };
  readonly rewardScorer: LoadedRewardModel | undefined;
  readonly klController: KlController | undefined;
}

/**
 * Each stage's items: supervised examples (loss on response tokens only, entity mask from the lexicon
 * terms), preference pairs, or PPO prompts. Records that leave nothing to train on are skipped and counted;
 * a stage left empty is an error.
 */
function prepareStages(
  spec: TrainingSpec,
  { ppo, pairwise }: Objective,
  model: LlamaModel,
  tokenizer: Tokenizer,
): { stageItems: StageItem[][]; skippedExamples: number } {
  const format = promptFormatByName(spec.promptFormat, tokenizer);
  const maxLength = spec.maxLength ?? Math.min(512, model.config.maxPositionEmbeddings);
  const build = (prepared: PreparedRecord, output: string): TrainingExample | undefined => {
    const built = buildTrainingExample({ ...prepared.record, output }, format, tokenizer, {
      entityTerms: prepared.entityTerms,
      maxLength,
    });
    if (built.lossMask.slice(1).every((m) => m === 0)) return undefined;
    return { ids: built.inputIds, lossMask: built.lossMask, entityMask: built.entityMask };
  };
  const toItem = (prepared: PreparedRecord): StageItem | undefined => {
    if (ppo) return ppoPrompt(prepared, format, tokenizer, maxLength, ppo.maxResponseTokens);
    const chosen = build(prepared, prepared.record.output);
    if (!pairwise) return chosen;
    const rejected = prepared.rejected === undefined ? undefined : build(prepared, prepared.rejected);
    return chosen && rejected ? { chosen, rejected } : undefined;
  };
  let skippedExamples = 0;
  const stageItems = spec.stages.map((stage, index) => {
    const items: StageItem[] = [];
    for (const prepared of stage.records) {
      const item = toItem(prepared);
      if (item) items.push(item);
      else skippedExamples++;
    }
    if (items.length === 0) {
      throw new Error(
        ppo
          ? `stage ${index} ("${stage.name}") has no prompt that leaves room for ${ppo.maxResponseTokens} answer tokens within ${maxLength}; check its dataset filter and maxResponseTokens`
          : `stage ${index} ("${stage.name}") has no ${pairwise ? 'preference pair whose answers both have' : 'example with'} response tokens within ${maxLength} tokens; check its dataset filter and maxLength`,
      );
    }
    return items;
  });
  return { stageItems, skippedExamples };
}

/** Optimizer steps per stage: a PPO step takes rolloutsPerStep prompts; maxSteps cuts the later stages. */
function stepsPerStage(
  spec: TrainingSpec,
  stageItems: readonly (readonly StageItem[])[],
  ppo: Objective['ppo'],
): number[] {
  const steps = stageItems.map((items, i) =>
    stageSteps(items.length, ppo?.rolloutsPerStep ?? spec.stages[i]!.batchSize, spec.stages[i]!.epochs),
  );
  if (spec.maxSteps === undefined) return steps;
  let left = spec.maxSteps;
  return steps.map((s) => {
    const kept = Math.min(s, left);
    left -= kept;
    return kept;
  });
}

interface RestoredPosition {
  readonly position: Position;
  /** The checkpoint to resume mid-stage from (optimizer state included). */
  readonly resumeDir: string | undefined;
  /**
   * A checkpoint that closed a stage: the next stage starts from its weights (adapter or full weights,
   * reward head) with a fresh optimizer, as an uninterrupted run does.
   */
  readonly stageStartDir: string | undefined;
}

/** Where the attempt starts: the beginning, or the checkpoint it resumes from, unpacked into scratch. */
function restorePosition(
  resume: Uint8Array | undefined,
  scratch: string,
  steps: readonly number[],
): RestoredPosition {
  const start: Position = {
    format: 'tuneledger-run-position/1',
    step: 0,
    stageIndex: 0,
    stepInStage: 0,
    tokensSeen: 0,
    elapsedMs: 0,
    lastLoss: Number.NaN,
  };
  if (!resume) return { position: start, resumeDir: undefined, stageStartDir: undefined };
  const dir = join(scratch, 'resume');
  writeFiles(dir, unpackTar(resume, 'checkpoint'));
  const position = positionSchema.parse(JSON.parse(readFileSync(join(dir, 'position.json'), 'utf8')));
  // A checkpoint at the end of a stage resumes at the start of the next one.
  if (position.stepInStage >= (steps[position.stageIndex] ?? 0))
    return {
      position: { ...position, stageIndex: position.stageIndex + 1, stepInStage: 0 },
      resumeDir: undefined,
      stageStartDir: dir,
    };
  return { position, resumeDir: dir, stageStartDir: undefined };
}

function createTrainer(run: RunContext, stageIndex: number): Trainer {
  const { spec, steps, updatesPerStep } = run;
  const stage = spec.stages[stageIndex]!;
  return new Trainer(
    run.model,
    {
      mode: spec.method.kind,
      ...(spec.method.kind === 'lora'
        ? {
            lora: {
              r: spec.method.r,
              alpha: spec.method.alpha,
              dropout: spec.method.dropout,
              targetModules: spec.method.targetModules,
            } as LoraOptions,
          }
        : {}),
      learningRate: stage.learningRate,
      totalSteps: steps[stageIndex]! * updatesPerStep,
      warmupSteps: Math.floor(steps[stageIndex]! * updatesPerStep * spec.warmupRatio),
      gradientAccumulation: run.objective.ppo ? 1 : Math.ceil(stage.batchSize / spec.microBatchSize),
      loss: spec.loss,
      padId: run.tokenizer.padId,
      seed: spec.seed + stageIndex,
    } as TrainerOptions,
    run.heads,
  );
}

/**
 * Runs the stages from the restored position: reports progress, writes checkpoints that resume exactly,
 * and stops between steps when told to. Returns the final position, or 'stopped'.
 */
async function trainStages(
  run: RunContext,
  restored: RestoredPosition,
  resumed: boolean,
): Promise<Position | 'stopped'> {
  const { spec, io, steps, totalSteps, objective, klController } = run;
  let { position, resumeDir, stageStartDir } = restored;
  const closedStage = position.stageIndex - 1;
  const resumedAt = position.step;
  let lastCheckpoint = resumed ? position.step : 0;
  let lastReported = position.step;
  const attemptStarted = performance.now();
  const elapsedMs = () => restored.position.elapsedMs + (performance.now() - attemptStarted);
  const report = (message: ProgressMessage) => {
    if (message.step <= lastReported) return;
    io.emit(message);
    lastReported = message.step;
  };

  for (let stageIndex = position.stageIndex; stageIndex < spec.stages.length; stageIndex++) {
    const stageTotal = steps[stageIndex]!;
    if (stageTotal === 0) break;
    const items = run.stageItems[stageIndex]!;
    const perStep = objective.ppo?.rolloutsPerStep ?? spec.stages[stageIndex]!.batchSize;
    io.emit({ type: 'stage', stageIndex, steps: stageTotal, totalSteps });
    const trainer = createTrainer(run, stageIndex);
    const firstStep = stageIndex === position.stageIndex ? position.stepInStage : 0;
    if (resumeDir && stageIndex === position.stageIndex) trainer.loadState(resumeDir);
    else if (stageStartDir && stageIndex === position.stageIndex) {
      trainer.loadWeights(stageStartDir);
      stageStartDir = undefined;
    }
    // Started after loadState: the workers copy the base weights (full fine-tuning: the resumed ones).
    if (run.gradientWorkers > 0) await trainer.startWorkers(run.gradientWorkers, spec.gradientWorkerEntry);
    try {
      const order = batchOrder(items.length, perStep, stageTotal, spec.seed, stageIndex);
      const checkpoint = (stepInStage: number) => {
        const saved: Position = {
          ...position,
          stageIndex,
          stepInStage,
          elapsedMs: elapsedMs(),
          ...(klController ? { klCoefficient: klController.value } : {}),
        };
        const bytes = packCheckpoint(trainer, saved, join(run.scratch, `checkpoint-${position.step}`));
        io.emit({ type: 'checkpoint', step: position.step, stageIndex, bytes });
        lastCheckpoint = position.step;
      };
      let last: ProgressMessage | undefined;
      for (let s = firstStep; s < stageTotal; s++) {
        const control = Atomics.load(io.control, 0);
        if (control !== CONTROL.run) {
          if (control === CONTROL.shutdown && position.step > lastCheckpoint) {
            if (last) report(last);
            checkpoint(s);
          }
          io.emit({
            type: 'stopped',
            reason:
              control === CONTROL.cancel ? 'cancel' : control === CONTROL.shutdown ? 'shutdown' : 'abandon',
            step: position.step,
          });
          return 'stopped';
        }
        const { metrics, ppoProgress } = await takeStep(
          run,
          trainer,
          order[s]!.map((i) => items[i]!),
          position.step,
        );
        const done = position.step + 1 - resumedAt;
        position = {
          ...position,
          step: position.step + 1,
          stageIndex,
          stepInStage: s + 1,
          tokensSeen: position.tokensSeen + metrics.tokens,
          lastLoss: metrics.loss,
          ...(metrics.rewardAccuracy !== undefined
            ? { lastRewardAccuracy: metrics.rewardAccuracy, lastRewardMargin: metrics.rewardMargin }
            : {}),
        };
        const attemptMs = performance.now() - attemptStarted;
        last = {
          type: 'progress',
          step: position.step,
          totalSteps,
          stageIndex,
          epoch: ((s + 1) * perStep) / items.length,
          loss: metrics.loss,
          ...(spec.loss.kind === 'entity-weighted' ? { entityLoss: metrics.entityLoss } : {}),
          ...(metrics.rewardAccuracy !== undefined
            ? { rewardAccuracy: metrics.rewardAccuracy, rewardMargin: metrics.rewardMargin }
            : {}),
          ...ppoProgress,
          learningRate: metrics.learningRate,
          gradNorm: metrics.gradNorm,
          tokensPerSecond: metrics.tokensPerSecond,
          elapsedMs: elapsedMs(),
          etaMs: (attemptMs / done) * (totalSteps - position.step),
        };
        const stageEnd = s + 1 === stageTotal;
        const checkpointDue = position.step % spec.checkpointEvery === 0 || stageEnd;
        if (position.step % spec.progressEvery === 0 || checkpointDue) report(last);
        if (checkpointDue) checkpoint(s + 1);
      }
    } finally {
      await trainer.stopWorkers();
      trainer.dispose();
    }
    resumeDir = undefined;
  }
  if (stageStartDir) {
    // The checkpoint closed the last stage that trains: the artifact is made of its weights.
    const trainer = createTrainer(run, closedStage);
    trainer.loadWeights(stageStartDir);
    trainer.dispose();
  }
  return position;
}

/** One optimizer step (PPO: one rollout batch and its updates) on the run's objective. */
async function takeStep(
  run: RunContext,
  trainer: Trainer,
  items: readonly StageItem[],
  step: number,
): Promise<{ metrics: StepMetrics; ppoProgress: Partial<ProgressMessage> }> {
  const { dpo, ppo, rewardModel } = run.objective;
  if (ppo) return ppoStep(run, ppo, trainer, items as PpoPrompt[], step);
  const metrics = dpo
    ? trainer.trainPreferenceStep(items as PreferencePair[], {
        beta: dpo.beta,
        ...(run.reference ? { model: run.reference } : {}),
      })
    : rewardModel
      ? trainer.trainRewardStep(items as PreferencePair[])
      : await trainer.trainStepAsync(items as TrainingExample[]);
  return { metrics, ppoProgress: {} };
}

function ppoStep(
  run: RunContext,
  ppo: NonNullable<Objective['ppo']>,
  trainer: Trainer,
  prompts: readonly PpoPrompt[],
  step: number,
): { metrics: StepMetrics; ppoProgress: Partial<ProgressMessage> } {
  const { tokenizer, spec } = run;
  let last: StepMetrics | undefined;
  const stats = ppoIteration({
    trainer,
    valueHead: run.heads.valueHead!,
    ...(run.reference ? { reference: run.reference } : {}),
    prompts: prompts.map((p) => p.ids),
    scorer: run.rewardScorer!.scorer(prompts),
    klController: run.klController!,
    options: { ...ppo.settings, whitenAdvantages: true },
    generation: {
      maxTokens: ppo.maxResponseTokens,
      temperature: 1,
      stopTokenIds: tokenizer.stopIds.length > 0 ? tokenizer.stopIds : [tokenizer.eosId],
    },
    // The step's sampling and minibatch order: the same run and step sample the same.
    seed: (spec.seed * 1_000_003 + step) | 0,
    padId: tokenizer.padId,
    onStep: (m) => (last = m),
  });
  return {
    metrics: { ...last!, loss: stats.policyLoss + ppo.settings.valueCoefficient * stats.valueLoss },
    ppoProgress: {
      meanReward: stats.meanReward,
      kl: stats.meanKl,
      klCoefficient: stats.klCoefficient,
      entropy: stats.entropy,
      clipFraction: stats.clipFraction,
      valueLoss: stats.valueLoss,
      ...(Number.isFinite(stats.explainedVariance) ? { explainedVariance: stats.explainedVariance } : {}),
    },
  };
}

/** The trainer's state and the position as one tar; the directory is scratch, removed after. */
function packCheckpoint(trainer: Trainer, position: Position, dir: string): Uint8Array {
  trainer.saveState(dir);
  writeFileSync(join(dir, 'position.json'), `${JSON.stringify(position)}\n`);
  const bytes = packTar(readFiles(dir));
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}

/** The run's artifact: a reward model, a LoRA adapter (and the merged weights if asked), or full weights. */
function saveResult(
  spec: TrainingSpec,
  model: LlamaModel,
  rewardHead: RewardHead | undefined,
  outDir: string,
): { adapter: Uint8Array; artifactKind: 'adapter' | 'weights' | 'reward-model'; merged?: Uint8Array } {
  if (rewardHead) {
    // The backbone (PEFT adapter or full weights), the head and reward_config.json in one directory.
    saveRewardModel(join(outDir, 'reward-model'), model, rewardHead, spec.promptFormat);
    return { adapter: packTar(readFiles(join(outDir, 'reward-model'))), artifactKind: 'reward-model' };
  }
  if (spec.method.kind === 'full') {
    saveModel(model, join(outDir, 'weights'));
    return { adapter: packTar(readFiles(join(outDir, 'weights'))), artifactKind: 'weights' };
  }
  if (!model.lora) throw new Error('LoRA training ended without an adapter');
  model.lora.save(join(outDir, 'adapter'));
  const adapter = packTar(readFiles(join(outDir, 'adapter')));
  if (!spec.merge) return { adapter, artifactKind: 'adapter' };
  model.lora.mergeInto(model);
  saveModel(model, join(outDir, 'merged'));
  return { adapter, artifactKind: 'adapter', merged: packTar(readFiles(join(outDir, 'merged'))) };
}

/** A DPO or PPO reference from the registry: its base model, with its adapter (not merged) when it has one. */
function loadReference(files: { baseDir: string; adapterDir?: string }, policy: LlamaModel): LlamaModel {
  const reference = loadModel(files.baseDir);
  try {
    if (reference.config.vocabSize !== policy.config.vocabSize)
      throw new Error(
        `the DPO reference in ${files.baseDir} has a vocabulary of ${reference.config.vocabSize}, the policy ${policy.config.vocabSize}; it must share the policy's tokenizer`,
      );
    if (files.adapterDir) reference.lora = LoraAdapter.load(files.adapterDir, reference.config);
    return reference;
  } catch (error) {
    reference.dispose();
    throw error;
  }
}

/** Keeps the value head's draws apart from the stages' generators. */
const VALUE_HEAD_SEED = 0x7a1e_4ead;

/** Keeps the head's draws apart from the stages' generators (seeded spec.seed + stage index). */
const REWARD_HEAD_SEED = 0x5eed_4ead;

/** A supervised example, or a preference pair (DPO, reward model). */
type StageItem = TrainingExample | PreferencePair | PpoPrompt;

/**
 * Gradient workers when the run does not say: the wasm and cpu backends compute on one core per thread, so
 * one worker per further core; tfjs-node uses every core itself. None when the compiled worker is missing
 * (running from TypeScript sources).
 */
function readFiles(dir: string) {
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, data: readFileSync(join(dir, name)) }));
}

function writeFiles(dir: string, files: Map<string, Buffer>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
}
