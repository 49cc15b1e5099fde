/**
 * Every code a DomainError may carry, with the kind of refusal it is. The kind, not the code's spelling,
 * decides how an API answers (400, 403, 404, 409); a new code must be classified here before the compiler
 * lets a decider use it.
 *
 * - `invalid`: the command itself is wrong whatever the state (a bad field, an impossible combination);
 *   the caller must change it.
 * - `not-found`: it names something that does not exist.
 * - `forbidden`: the caller may not do this (a role, a lease held by someone else).
 * - `conflict`: the command is fine but the current state refuses it (already done, archived, pending,
 *   out of order); it may succeed later or after another command.
 */
export type DomainErrorKind = 'invalid' | 'not-found' | 'forbidden' | 'conflict';

export const domainErrorKinds = {
  // Input
  BASE_MODEL_UNUSABLE: 'invalid',
  CANDIDATE_COUNT_INVALID: 'invalid',
  CANDIDATE_IDS_NOT_UNIQUE: 'invalid',
  DATASET_REVISION_EMPTY: 'invalid',
  EVALUATION_PROGRESS_INVALID: 'invalid',
  EVENT_SCHEMA_INVALID: 'invalid',
  EVENT_TYPE_UNKNOWN: 'invalid',
  LEASE_IN_THE_PAST: 'invalid',
  METHOD_NEEDS_PREFERENCE_DATASET: 'invalid',
  TRAINING_METHOD_INCOMPLETE: 'invalid',
  MODEL_VERSION_IS_REWARD_MODEL: 'invalid',
  OVERRIDE_REASON_REQUIRED: 'invalid',
  RANKING_NOT_PERMUTATION: 'invalid',
  STEP_BEYOND_TOTAL: 'invalid',
  SUBJECT_FORGET_INVALID: 'invalid',
  TRAINING_MEMORY_EXCEEDS_DEVICE: 'invalid',
  TRAINING_PARAMETER_OUT_OF_BOUNDS: 'invalid',

  // Missing things
  AUGMENTATION_NOT_FOUND: 'not-found',
  BASE_MODEL_NOT_FOUND: 'not-found',
  CANDIDATES_NOT_FOUND: 'not-found',
  DATASET_NOT_FOUND: 'not-found',
  DATASET_REVISION_NOT_FOUND: 'not-found',
  JOB_NOT_FOUND: 'not-found',
  EVALUATION_NOT_FOUND: 'not-found',
  INTERACTION_NOT_FOUND: 'not-found',
  MODEL_VERSION_NOT_FOUND: 'not-found',
  RUN_NOT_FOUND: 'not-found',
  STAGE_NOT_FOUND: 'not-found',

  // Who may
  EVALUATION_LEASE_EXPIRED: 'forbidden',
  EVALUATION_NOT_LEASE_HOLDER: 'forbidden',
  LABELER_ROLE_NOT_ALLOWED: 'forbidden',
  OVERRIDE_REQUIRES_ADMIN: 'forbidden',
  RUN_LEASE_EXPIRED: 'forbidden',
  RUN_NOT_LEASE_HOLDER: 'forbidden',

  // The state refuses it
  ALREADY_IN_STAGE: 'conflict',
  ALREADY_RANKED: 'conflict',
  AUGMENTATION_ALREADY_FINISHED: 'conflict',
  AUGMENTATION_ALREADY_REQUESTED: 'conflict',
  CANDIDATES_ALREADY_GENERATED: 'conflict',
  CHECKPOINT_AHEAD_OF_PROGRESS: 'conflict',
  CHECKPOINT_WENT_BACKWARDS: 'conflict',
  DATASET_ALREADY_REGISTERED: 'conflict',
  DATASET_ARCHIVED: 'conflict',
  DEPLOYMENT_NOT_ACTIVE: 'conflict',
  DEPLOYMENT_NOT_REQUESTED: 'conflict',
  DEPLOYMENT_PENDING: 'conflict',
  EVALUATION_ALREADY_CLAIMED: 'conflict',
  EVALUATION_ALREADY_FINISHED: 'conflict',
  EVALUATION_ALREADY_REQUESTED: 'conflict',
  EVALUATION_NOT_CLAIMED: 'conflict',
  /** A stream written by a newer tuneledger: this server cannot decide on it until it is upgraded. */
  EVENT_VERSION_TOO_NEW: 'conflict',
  INTERACTION_ALREADY_RECORDED: 'conflict',
  JOB_NOT_HELD: 'conflict',
  INTERACTION_ALREADY_SCORED: 'conflict',
  LEASE_STILL_VALID: 'conflict',
  MODEL_VERSION_ARCHIVED: 'conflict',
  MODEL_VERSION_IN_PRODUCTION: 'conflict',
  PROMOTION_NEEDS_PASSED_EVALUATION: 'conflict',
  PROMOTION_WOULD_DEMOTE: 'conflict',
  REVISION_OUT_OF_ORDER: 'conflict',
  ROLLBACK_NOT_REQUESTED: 'conflict',
  ROLLBACK_PENDING: 'conflict',
  ROLLBACK_TARGET_IS_ACTIVE: 'conflict',
  ROLLBACK_TARGET_NOT_RETAINED: 'conflict',
  RUN_ALREADY_CLAIMED: 'conflict',
  RUN_ALREADY_FINISHED: 'conflict',
  RUN_ALREADY_REGISTERED: 'conflict',
  RUN_ALREADY_REQUESTED: 'conflict',
  RUN_NOT_CLAIMED: 'conflict',
  RUN_NOT_COMPLETED: 'conflict',
  STAGE_NOT_STARTED: 'conflict',
  STAGE_OUT_OF_ORDER: 'conflict',
  STEP_WENT_BACKWARDS: 'conflict',
  VERSION_ALREADY_ACTIVE: 'conflict',
  VERSION_OUT_OF_ORDER: 'conflict',
} as const satisfies Record<string, DomainErrorKind>;

export type DomainErrorCode = keyof typeof domainErrorKinds;
