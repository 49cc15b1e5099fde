export * from './dataset.events.js';
export * from './dataset.decider.js';
