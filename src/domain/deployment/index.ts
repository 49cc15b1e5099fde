export * from './deployment.events.js';
export * from './deployment.decider.js';
