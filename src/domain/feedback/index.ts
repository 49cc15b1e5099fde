export * from './feedback.events.js';
