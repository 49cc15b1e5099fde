import cliProgress from 'cli-progress';
import type { ProgressMessage } from './trainingMessages.js';

export interface ProgressBar {
  stage(stageIndex: number, totalSteps: number): void;
  update(progress: Omit<ProgressMessage, 'type'>): void;
  stop(): void;
}

/** A terminal progress bar over a run's steps (cli-progress), for workers started from a terminal. */
export function progressBar(runId: string): ProgressBar {
  const bar = new cliProgress.SingleBar(
    {
      format: `run ${runId} stage {stage} |{bar}| {value}/{total} steps | loss {loss} | {tps} tok/s | ETA {eta_formatted}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    stage(stageIndex, totalSteps) {
      if (!started) bar.start(totalSteps, 0, { stage: stageIndex, loss: '-', tps: '-' });
      started = true;
      bar.update({ stage: stageIndex });
    },
    update(progress) {
      if (!started) return;
      bar.update(progress.step, {
        stage: progress.stageIndex,
        loss: progress.loss.toFixed(4),
        tps: Math.round(progress.tokensPerSecond),
      });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
