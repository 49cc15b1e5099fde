export * from './subject.events.js';
export * from './subject.decider.js';
