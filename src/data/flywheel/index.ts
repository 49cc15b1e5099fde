export {
  flywheelVerdict,
  type FlywheelThresholds,
  promptMessages,
  writeFlywheelRevision,
  type FlywheelFacts,
  type FlywheelOptions,
  type FlywheelSkip,
  type InteractionLabel,
  type LabelledInteraction,
} from './flywheel.js';
export {
  rankingPairs,
  writePreferenceRevision,
  type PreferenceRevisionFacts,
  type PreferenceRevisionOptions,
  type RankedPrompt,
} from './preferencePairs.js';
export {
  kendallTau,
  labelerAgreement,
  labelersBelow,
  type LabeledRanking,
  type LabelerAgreement,
} from './labelerAgreement.js';
