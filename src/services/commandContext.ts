import type { RecordedEvent } from '../eventstore/index.js';

/** Who issues a command and how it relates to earlier ones; flows into every event it causes. */
export interface CommandContext {
  readonly actor: string;
  /** Roles of the actor ('admin', 'worker', ...); the domain asks for some (an admin override). */
  readonly roles?: readonly string[];
  /** Shared by every event of one business flow; defaults to the stream's own correlation. */
  readonly correlationId?: string;
  /** The event that caused this command. */
  readonly causationId?: string;
  /**
   * A caller's key (a GraphQL mutation id, a job attempt) for a command that may be retried: it
   * becomes the events' ids, so a retried command appends nothing twice.
   */
  readonly idempotencyKey?: string;
  /**
   * A hash of the request's canonical payload (what an API caller sent), kept with `idempotencyKey` by the
   * first request that records something: a later request under the key with another fingerprint is refused
   * (IdempotencyKeyReusedError) instead of being taken for a retry.
   */
  readonly requestFingerprint?: string;
}

/**
 * The context for a command caused by an event: same correlation, the event as cause. Workers
 * use it so a run's claim, progress and outcome trace back to its TrainingRunRequested.
 */
export function causedBy(
  event: Pick<RecordedEvent, 'eventId' | 'metadata'>,
  actor: string,
  extra: Omit<CommandContext, 'actor' | 'correlationId' | 'causationId'> = {},
): CommandContext {
  return { ...extra, actor, correlationId: event.metadata.correlationId, causationId: event.eventId };
}

export const isAdmin = (context: CommandContext): boolean => context.roles?.includes('admin') ?? false;

/**
 * The roles that may teach the model: a correction or a ranking becomes training data (flywheel and
 * preference revisions), so it needs one of these. Thumbs, ratings and error categories stay signals
 * any caller may give. The GraphQL role table (src/graphql/auth/roles.ts, action class `label`) says the same.
 */
export const TEACHING_ROLES = ['labeler', 'engineer', 'admin'] as const;

/** The teaching role the context holds (the most specific first), or undefined when it holds none. */
export const teachingRole = (context: CommandContext): string | undefined =>
  TEACHING_ROLES.find((role) => context.roles?.includes(role));
