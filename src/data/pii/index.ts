export { chineseResidentIdValid, ibanValid, luhnValid } from './checksums.js';
export { PII_KINDS, PII_PLACEHOLDERS, type PiiCounts, type PiiKind } from './piiKinds.js';
export { findPii, type PiiMatch } from './recognisers.js';
export { mergePiiCounts, redactText } from './redactor.js';
