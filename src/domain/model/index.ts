export * from './model.events.js';
