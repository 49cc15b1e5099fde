export * from './dataset.events.js';
