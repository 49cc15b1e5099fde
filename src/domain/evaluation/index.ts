export * from './evaluation.events.js';
export * from './evaluation.decider.js';
export { evaluateGate } from './evaluationGate.js';
