import { z } from 'zod';

/** The roles a token can carry. Every role may read; the others add what they may change. */
export const roles = ['viewer', 'labeler', 'engineer', 'approver', 'admin', 'worker'] as const;
export type Role = (typeof roles)[number];
export const roleSchema = z.enum(roles);

/**
 * What a mutation does, and so who may call it. A resolver declares one class; the table below is
 * the one place that says which role may do which class of thing.
 *   read:    queries and subscriptions
 *   data:    register datasets and revisions, request augmentation, record candidates
 *   label:   teach the model: label feedback (corrections included) and rank preferences, which become
 *            training data (src/services TEACHING_ROLES says the same for every transport)
 *   train:   start and cancel training runs and evaluations
 *   release: promote model versions, deploy and roll back
 *   admin:   overrides (archive, cancel someone else's work, token management)
 *   work:    report on a job the caller holds
 */
export const actionClasses = ['read', 'data', 'label', 'train', 'release', 'admin', 'work'] as const;
export type ActionClass = (typeof actionClasses)[number];

const grants: Record<Role, readonly ActionClass[]> = {
  viewer: ['read'],
  labeler: ['read', 'label'],
  engineer: ['read', 'data', 'label', 'train'],
  approver: ['read', 'release'],
  // Admins override: they may do everything, including work on behalf of a worker.
  admin: ['read', 'data', 'label', 'train', 'release', 'admin', 'work'],
  worker: ['read', 'work'],
};

export function mayPerform(held: Iterable<Role>, action: ActionClass): boolean {
  for (const role of held) if (grants[role].includes(action)) return true;
  return false;
}

/** The roles that would allow an action, for an error message that says what to ask for. */
export function rolesAllowing(action: ActionClass): Role[] {
  return roles.filter((role) => grants[role].includes(action));
}
