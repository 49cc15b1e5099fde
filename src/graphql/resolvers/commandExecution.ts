/** What every mutation shares: role check, the caller as actor, read-your-writes, worker identity. */
import type { Checkpoint } from '../../eventstore/index.js';
import { ProjectionLagError } from '../../projections/index.js';
import type { CommandContext, CommandResult } from '../../services/index.js';
import type { ActionClass } from '../auth/roles.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { forbidden } from '../errors.js';
import { isDomainError } from '../../domain/index.js';
import { isUserErrorKind, toUserError, type CommandAnswer } from '../types/commandPayload.type.js';
import { requestFingerprint } from './mutationRequest.js';

export const idempotencyKeyArg = {
  nullable: true,
  description:
    'Any string unique to this request: a retried mutation with the same key records nothing twice.',
} as const;

/**
 * Every mutation: check the caller's role, run the service with the caller as actor, then wait
 * until the projections have applied the command's events (read-your-writes). A domain rule's refusal
 * (a DomainError of kind invalid, not-found or conflict) is answered as the payload's `userErrors`, with
 * nothing recorded; every other error (role, input validation, lease holder, system) stays a GraphQL error.
 */
export async function execute(
  context: ApiContext,
  action: ActionClass,
  what: string,
  idempotencyKey: string | undefined,
  run: (command: CommandContext) => Promise<CommandResult & { id?: string }>,
): Promise<CommandAnswer> {
  requireAction(context, action, what);
  const services = context.deps.services;
  if (!services) throw new Error('the GraphQL server was started without application services');
  const fingerprint = idempotencyKey ? requestFingerprint(context.viewer.actor) : undefined;
  let result: CommandResult & { id?: string };
  try {
    result = await run({
      actor: context.viewer.actor,
      roles: context.viewer.roles,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(fingerprint ? { requestFingerprint: fingerprint } : {}),
    });
  } catch (error) {
    if (!isDomainError(error) || !isUserErrorKind(error.kind)) throw error;
    return {
      context,
      id: null,
      streamId: null,
      version: null,
      replayed: false,
      eventIds: [],
      eventTypes: [],
      checkpoint: null,
      userErrors: [toUserError(error)],
    };
  }
  const checkpoint = result.events.at(-1)?.checkpoint ?? null;
  await readYourWrites(context, checkpoint);
  return {
    id: result.id ?? result.streamId.slice(result.streamId.indexOf('-') + 1),
    streamId: result.streamId,
    version: result.version,
    replayed: result.replayed,
    eventIds: result.events.map((event) => event.eventId),
    eventTypes: result.events.map((event) => event.type),
    checkpoint,
    userErrors: [],
    context,
  };
}

/**
 * Returns once the projections have applied `checkpoint`. The command is recorded either way: when they lag
 * past the wait, the answer is still a success (an error would invite a retry of something done), with a
 * warning that reads may not show it yet.
 */
export async function readYourWrites(context: ApiContext, checkpoint: Checkpoint | null): Promise<void> {
  if (!checkpoint || !context.deps.projections) return;
  try {
    await context.deps.projections.waitFor(checkpoint);
  } catch (error) {
    if (!(error instanceof ProjectionLagError)) throw error;
    context.warnings?.push(
      `recorded at checkpoint ${checkpoint}, but the read models had not applied it after ${error.waitedMs} ms ` +
        `(${error.behind.join(', ')} behind): queries may not show it yet`,
    );
  }
}

/** A worker reports as itself: a worker token cannot speak for another worker. Admins may. */
export function workerIdFor(context: ApiContext, workerId: string | undefined): string {
  if (context.viewer.roles.includes('admin')) return workerId ?? context.viewer.actor;
  if (workerId !== undefined && workerId !== context.viewer.actor) {
    throw forbidden(
      `${context.viewer.actor} may only report as itself, not as worker "${workerId}"; leave workerId out`,
    );
  }
  return context.viewer.actor;
}

export const services = (context: ApiContext) => context.deps.services!;
