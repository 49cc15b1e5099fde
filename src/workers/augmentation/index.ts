/** The augmentation worker (job kind `augment`); what requesters share with it lives in src/services/datasets. */
export {
  augmentationJobHandler,
  type AugmentationJobServices,
  type AugmentationWorkerOptions,
} from './augmentationJob.js';
