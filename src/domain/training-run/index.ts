export * from './trainingRun.events.js';
