export * from './deployment.events.js';
