export { MAX_QUALITY_SCORE, scoreInstruction, type QualityScore } from './instructionQuality.js';
