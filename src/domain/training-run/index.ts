export * from './trainingRun.events.js';
export * from './trainingRun.decider.js';
