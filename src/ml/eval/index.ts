export {
  cmrcExact,
  cmrcF1,
  cmrcRemovePunctuation,
  cmrcSegments,
  longestCommonSubstringLength,
  treebankTokenize,
} from './cmrc.js';
export {
  CONSTRAINT_KINDS,
  checkConstraint,
  constraintSchema,
  countParagraphs,
  countSentences,
  countWords,
  type Constraint,
  type ConstraintInput,
  type ConstraintKind,
} from './constraints.js';
export {
  ERROR_CATEGORIES,
  classifyError,
  isRefusal,
  looksUnfinished,
  ungroundedEntities,
  type ErrorCategory,
  type TaxonomyInput,
} from './errorTaxonomy.js';
export {
  evaluatePredictions,
  scoreRecord,
  taxonomyKey,
  type CategoryMetrics,
  type EvaluateOptions,
  type EvaluationMetrics,
  type RecordScore,
  type TaxonomyKey,
} from './evaluate.js';
export {
  evaluationRecordSchema,
  type EvaluationRecord,
  type EvaluationRecordInput,
} from './evaluationRecord.js';
export {
  GATE_METRICS,
  gateThresholdsSchema,
  gateVerdict,
  headlineMetrics,
  type GateFailure,
  type GateMetric,
  type GateThresholds,
  type GateVerdict,
} from './gate.js';
export {
  COLOUR_HIGH,
  COLOUR_LOW,
  attentionHeatmaps,
  colourFor,
  escapeXml,
  renderHeatmapPng,
  renderHeatmapSvg,
  type AttentionHeatmap,
  type Rgb,
} from './heatmap.js';
export {
  checkConstraints,
  looseVariants,
  summariseInstructionFollowing,
  type ConstraintResult,
  type InstructionFollowingSummary,
} from './instructionFollowing.js';
export {
  DEFAULT_RUBRIC,
  judgeConfigSchema,
  judgeOne,
  judgePredictions,
  parseJudgeReply,
  type JudgeConfig,
  type JudgeItem,
  type JudgeSummary,
  type JudgeVerdict,
} from './judge.js';
export { detectScriptLanguage, type Language } from './language.js';
export {
  predictionRows,
  predictionsJsonl,
  writePredictionsFile,
  type PredictionRow,
} from './predictionsFile.js';
export { detectAnswerLanguage, scoreAnswer, summariseQa, type QaScore, type QaSummary } from './qaMetrics.js';
export {
  noisyInstructions,
  robustnessReport,
  type NoisyInstruction,
  type RobustnessEntry,
  type RobustnessReport,
} from './robustness.js';
export {
  parseEvaluationRecords,
  readEvaluationRecords,
  scoreFile,
  scoreJsonl,
  scoreLineSchema,
  type ScoreFileResult,
  type ScoredLine,
} from './scoreFile.js';
export { bagF1, normalizeSquadAnswer, squadExact, squadF1, squadTokens } from './squad.js';
