/**
 * What a mutation answers. Each mutation has its own payload type, `<Mutation>Payload` (`requestTrainingRun`
 * answers RequestTrainingRunPayload), made by `CommandMutation` from one description of what the mutation is
 * about (a `PayloadSubject`): the object it created or changed under a named field (`run`), the fields every
 * payload shares (the CommandPayload interface: stream, version, events) and `userErrors`, the domain rules
 * that refused it. docs/graphql.md (Mutations) says which refusals are user errors and which stay GraphQL
 * errors.
 */
import type { ClassType } from 'type-graphql';
import { Field, ID, Int, InterfaceType, Mutation, ObjectType, registerEnumType } from 'type-graphql';
import { domainErrorKinds, type DomainError, type DomainErrorCode } from '../../domain/index.js';
import type { ApiContext } from '../context.js';
import { JSON } from './scalars.js';

/**
 * The domain refusals a payload carries: a well-formed request the current state refuses (it names something
 * that does not exist, or the state forbids it now). Input the domain finds wrong whatever the state
 * (`invalid`: BAD_USER_INPUT) and a caller who may not (`forbidden`: FORBIDDEN) stay GraphQL errors, as zod's
 * validation and the role check do.
 */
export type UserErrorKind = 'not-found' | 'conflict';

export const isUserErrorKind = (kind: string): kind is UserErrorKind =>
  kind === 'not-found' || kind === 'conflict';

const userErrorCodes = Object.fromEntries(
  Object.entries(domainErrorKinds)
    .filter(([, kind]) => isUserErrorKind(kind))
    .map(([code]) => [code, code]),
) as Record<string, DomainErrorCode>;

registerEnumType(userErrorCodes, {
  name: 'UserErrorCode',
  description:
    "Why a domain rule refused a mutation: the domain's refusal codes of kind NOT_FOUND or CONFLICT (src/domain/shared/domainErrorCodes.ts).",
});

const userErrorKinds: Record<string, UserErrorKind> = {
  NOT_FOUND: 'not-found',
  CONFLICT: 'conflict',
};

registerEnumType(userErrorKinds, {
  name: 'UserErrorKind',
  description:
    'NOT_FOUND: it names something that does not exist. CONFLICT: the current state refuses it; it may succeed later or after another command.',
});

@ObjectType('UserError', {
  description:
    'A domain rule that refused the mutation. Nothing was recorded; the payload has no object and no events.',
})
export class UserError {
  @Field(() => userErrorCodes)
  code!: DomainErrorCode;

  @Field(() => userErrorKinds)
  kind!: UserErrorKind;

  @Field()
  message!: string;

  @Field(() => [String], {
    nullable: true,
    description:
      'The path of the field at fault inside the mutation\'s input (["stages", "1", "datasetRevision"]), when one is.',
  })
  field!: string[] | null;

  @Field(() => JSON, {
    description: 'The facts the rule weighed, as the domain states them (e.g. leaseUntil for a held run).',
  })
  details!: Readonly<Record<string, unknown>>;
}

/** A DomainError as a payload's user error; the caller has checked that its kind is not `forbidden`. */
export function toUserError(error: DomainError): UserError {
  const field = error.details['field'];
  return {
    code: error.code,
    kind: error.kind as UserErrorKind,
    message: error.message,
    field: typeof field === 'string' ? fieldPath(field) : null,
    details: error.details,
  };
}

/** 'stages[1].datasetRevision' as ['stages', '1', 'datasetRevision']. */
const fieldPath = (path: string): string[] =>
  path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '');

@InterfaceType('CommandPayload', {
  description:
    'What every mutation payload has: what it recorded, returned once its events are projected (queries made after it see them), and the domain rules that refused it. On a refusal the ids are null and the lists empty.',
})
export abstract class CommandPayload {
  @Field(() => ID, {
    nullable: true,
    description: 'The id of the thing the command was about (run id, dataset id, MODEL@VERSION, ...).',
  })
  id!: string | null;

  @Field(() => String, { nullable: true })
  streamId!: string | null;

  @Field(() => Int, { nullable: true, description: 'The stream version after the command.' })
  version!: number | null;

  @Field({ description: 'True when the idempotencyKey had been used before: nothing new was recorded.' })
  replayed!: boolean;

  @Field(() => [ID])
  eventIds!: string[];

  @Field(() => [String])
  eventTypes!: string[];

  @Field(() => String, { nullable: true, description: 'Checkpoint of the last event; subscribe `from` it.' })
  checkpoint!: string | null;

  @Field(() => [UserError], {
    description: 'The domain rules that refused the mutation; empty when it was recorded.',
  })
  userErrors!: UserError[];
}

/** A payload as `execute` builds it: the shared fields and the request it was answered in. */
export type CommandAnswer = CommandPayload & { readonly context: ApiContext };

/** What a mutation is about: the payload field that carries it and how to read it by the payload's id. */
export interface PayloadSubject<T extends object> {
  readonly field: string;
  readonly type: () => ClassType<T>;
  readonly description: string;
  readonly load: (context: ApiContext, id: string) => Promise<T | null>;
}

const payloadTypes = new Map<string, ClassType>();

/**
 * `<MutationName>Payload`: CommandPayload's fields, and the subject's field read from the read model (after
 * read-your-writes) only when selected. Null when the mutation was refused.
 */
export function payloadType(mutationName: string, subject: PayloadSubject<object> | null): ClassType {
  const name = `${mutationName.charAt(0).toUpperCase()}${mutationName.slice(1)}Payload`;
  if (payloadTypes.has(name)) throw new Error(`${name} is defined twice`);

  @ObjectType(name, { implements: CommandPayload, description: `What ${mutationName} recorded.` })
  class Payload extends CommandPayload {}

  if (subject) {
    const load = function (this: CommandAnswer) {
      return this.id === null || this.userErrors.length > 0 ? null : subject.load(this.context, this.id);
    };
    const method: PropertyDescriptor = { value: load, writable: true };
    Object.defineProperty(Payload.prototype, subject.field, method);
    // A method field: type-graphql resolves it by calling `load` on the payload, only when selected.
    Field(subject.type, { nullable: true, description: subject.description })(
      Payload.prototype,
      subject.field,
      method,
    );
  }
  payloadTypes.set(name, Payload);
  return Payload;
}

/**
 * `@Mutation` answering its own payload type, named after the method: every command mutation is declared
 * with it, its resolver returning `execute(...)`.
 */
export function CommandMutation(
  subject: PayloadSubject<object> | null,
  options: { description: string },
): MethodDecorator {
  return (prototype, methodName, descriptor) => {
    const type = payloadType(String(methodName), subject);
    Mutation(() => type, options)(prototype, methodName, descriptor);
  };
}
