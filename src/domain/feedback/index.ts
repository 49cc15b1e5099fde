export * from './feedback.events.js';
export * from './interaction.decider.js';
export * from './preference.decider.js';
export * from './feedbackSignal.js';
