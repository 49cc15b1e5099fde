export * from './evaluation.events.js';
