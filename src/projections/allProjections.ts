import { datasetsProjection } from './datasets.projection.js';
import { deploymentsProjection } from './deployments.projection.js';
import { evaluationsProjection } from './evaluations.projection.js';
import { feedbackProjection } from './feedback.projection.js';
import { jobsProjection } from './jobs.projection.js';
import { lineageProjection } from './lineage.projection.js';
import type { AnyProjection } from './projection.js';
import { registryProjection } from './registry.projection.js';
import { runsProjection } from './runs.projection.js';

/** Every read model of the lifecycle, in the order a status listing shows them. */
export const allProjections: readonly AnyProjection[] = [
  datasetsProjection,
  runsProjection,
  evaluationsProjection,
  registryProjection,
  deploymentsProjection,
  feedbackProjection,
  jobsProjection,
  lineageProjection,
];
