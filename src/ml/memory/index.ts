/** Memory estimates for fine-tuning: which model, method and batch shape fit a device. */
export {
  estimateTrainingMemory,
  loraParameterCount,
  memoryEstimateMethods,
  type MemoryEstimateMethod,
  parameterCount,
  type MemoryEstimate,
  type MemoryEstimateInput,
  type ModelShape,
  type TrainingMethodShape,
} from './memoryEstimate.js';
