export * from './model.events.js';
export * from './model.decider.js';
