export * from './trainingRun.events.js';
export * from './trainingRun.decider.js';
export * from './trainingRunDefaults.js';
export * from './trainingRunLimits.js';
