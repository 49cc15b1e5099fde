export type { PromptFormat, PromptFormatName, RenderedExample, SpecialTokenNames } from './promptFormat.js';
export {
  type PromptRecord,
  type TrainingRecord,
  trainingRecordSchema,
  userMessage,
} from './trainingRecord.js';
export { alpacaFormat } from './alpacaFormat.js';
export { llama2ChatFormat } from './llama2ChatFormat.js';
export { llama3ChatFormat } from './llama3ChatFormat.js';
export { type ChatMessage, chatTemplateFormat, recordMessages } from './chatTemplateFormat.js';
export { PROMPT_FORMAT_NAMES, promptFormatByName } from './promptFormats.js';
export {
  type TrainingExample,
  type TrainingExampleOptions,
  buildTrainingExample,
  findTerms,
} from './trainingExample.js';
