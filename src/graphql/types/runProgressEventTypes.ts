/** The run events a progress subscriber receives; the last three end the stream. */
export const runProgressEventTypes = [
  'TrainingRunClaimed',
  'TrainingStageStarted',
  'TrainingProgressReported',
  'CheckpointSaved',
  'TrainingRunCompleted',
  'TrainingRunFailed',
  'TrainingRunCancelled',
] as const;
export type RunProgressEventType = (typeof runProgressEventTypes)[number];
export const runEndEventTypes: readonly string[] = runProgressEventTypes.slice(4);
