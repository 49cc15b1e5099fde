/** `tuneledger demo`: the whole loop on a fresh embedded platform, driven through the API. */
export { runDemo, examplesDir, type DemoOptions, type DemoServed, type DemoSummary } from './runDemo.js';
export { sizesFor, type DemoSize, type DemoSizes } from './demoSizes.js';
export type { DemoThreadEntries } from './demoPlatform.js';
export type { StepResult, StepStatus } from './demoReporter.js';
