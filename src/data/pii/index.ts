export { chineseResidentIdValid, ibanValid, luhnValid } from './checksums.js';
export { PII_KINDS, PII_PLACEHOLDERS, type PiiCounts, type PiiKind } from './piiKinds.js';
export {
  checkPiiKey,
  MIN_PII_KEY_LENGTH,
  normalisePiiValue,
  parsePiiPolicy,
  PII_ACTIONS,
  PiiPolicyError,
  pseudonymFor,
  resolvePiiPolicy,
  type PiiAction,
  type PiiPolicy,
} from './piiPolicy.js';
export {
  findPii,
  PII_SCORE_THRESHOLD,
  scorePiiCandidates,
  type PiiMatch,
  type ScoredPiiMatch,
} from './recognisers.js';
export { mergePiiCounts, redactText, type RedactOptions } from './redactor.js';
