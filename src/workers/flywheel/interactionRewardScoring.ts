import type { Kysely } from 'kysely';
import { isDomainError, type ModelRef } from '../../domain/index.js';
import { ERASED } from '../../privacy/index.js';
import { currentRewardModels, interactionsAwaitingReward } from '../../projections/index.js';
import type { CommandContext, RewardScorer, Services } from '../../services/index.js';

/** The actor of the scores the platform records itself. */
export const REWARD_SCORER_ACTOR = 'reward-scorer';

/** Ids remembered per reward-model version as handled (scored, or unscorable) before the read model shows it. */
const MAX_REMEMBERED = 2_000;

export interface InteractionRewardScoringOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly services: Pick<Services, 'feedback'>;
  readonly scorer: RewardScorer;
  /** Interactions per forward batch and per read (default 32). */
  readonly batchSize?: number;
}

/** What one pass did. */
export interface RewardScoringPass {
  /** Scores recorded. */
  readonly scored: number;
  /** Exchanges whose prompt leaves the answer no token within the reward model's context (not recorded). */
  readonly unscorable: number;
}

/**
 * The flywheel's automatic signal: served interactions scored by the reward model current for their model
 * (`currentRewardModels`: `<model>-reward`, its production version, else its newest retained one), off the
 * request path. A pass reads the interactions that version has not scored from the read model, `batchSize` at
 * a time, scores each batch in one call to the scorer and records one InteractionRewardScored per interaction.
 * A newer current reward model scores every interaction again; the read model keeps the latest score.
 * Interactions of forgotten subjects are not scored.
 */
export class InteractionRewardScoring {
  /** Per reward-model version (`name@version`): interactions handled whose score the read model may not show yet. */
  private readonly handled = new Map<string, Set<string>>();
  private readonly batchSize: number;
  private readonly context: CommandContext = { actor: REWARD_SCORER_ACTOR, roles: ['worker'] };

  constructor(private readonly options: InteractionRewardScoringOptions) {
    this.batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error(`the reward scoring batch must be a positive integer, got ${options.batchSize}`);
    }
  }

  /** Scores every interaction awaiting its current reward model, batch by batch. */
  async pass(): Promise<RewardScoringPass> {
    let scored = 0;
    let unscorable = 0;
    const current = await currentRewardModels(this.options.db);
    for (const key of this.handled.keys()) {
      if (![...current.values()].some((model) => keyOf(model) === key)) this.handled.delete(key);
    }
    for (const [modelName, rewardModel] of current) {
      const handled = this.handledBy(rewardModel);
      for (;;) {
        const batch = await interactionsAwaitingReward(this.options.db, {
          modelName,
          rewardModel,
          erased: ERASED,
          excluding: [...handled],
          limit: this.batchSize,
        });
        if (batch.length === 0) break;
        const scores = await this.options.scorer.scoreExchanges(
          rewardModel,
          batch.map((row) => ({ prompt: { instruction: row.prompt }, response: row.response })),
        );
        for (const [i, row] of batch.entries()) {
          const score = scores[i];
          if (score === null || score === undefined) unscorable++;
          else if (await this.record(row.interaction_id, rewardModel, score)) scored++;
          remember(handled, row.interaction_id);
        }
        if (batch.length < this.batchSize) break;
      }
    }
    return { scored, unscorable };
  }

  /** Runs a pass every `intervalMs` until stopped; `stop()` waits for the pass in progress. */
  start(
    intervalMs: number,
    hooks: { onPass?: (pass: RewardScoringPass) => void; onError?: (error: unknown) => void } = {},
  ): { stop(): Promise<void> } {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let running: Promise<void> = Promise.resolve();
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        running = this.pass()
          .then((pass) => hooks.onPass?.(pass), hooks.onError ?? (() => {}))
          .finally(schedule);
      }, intervalMs);
    };
    schedule();
    return {
      async stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      },
    };
  }

  /** False when the interaction was scored by this version already (another pass or process recorded it). */
  private async record(interactionId: string, rewardModel: ModelRef, score: number): Promise<boolean> {
    try {
      await this.options.services.feedback.recordRewardScore(
        { interactionId, rewardModel, score },
        this.context,
      );
      return true;
    } catch (error) {
      if (isDomainError(error) && error.code === 'INTERACTION_ALREADY_SCORED') return false;
      throw error;
    }
  }

  private handledBy(rewardModel: ModelRef): Set<string> {
    const key = keyOf(rewardModel);
    let handled = this.handled.get(key);
    if (!handled) this.handled.set(key, (handled = new Set()));
    return handled;
  }
}

const keyOf = (model: ModelRef) => `${model.name}@${model.version}`;

/** Keeps the newest MAX_REMEMBERED ids: older ones the read model shows as scored by then. */
function remember(handled: Set<string>, interactionId: string): void {
  handled.add(interactionId);
  if (handled.size > MAX_REMEMBERED) handled.delete(handled.values().next().value!);
}
