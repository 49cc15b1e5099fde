/**
 * What a mutation was asked, for its idempotency fingerprint: the resolver classes with mutations carry
 * `@UseMiddleware(MutationRequest)`, which keeps the root mutation field's name and arguments for the
 * duration of its resolver, so `execute` can hash them without every resolver passing its arguments twice.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { MiddlewareFn } from 'type-graphql';
import { canonicalJson, MAX_IDEMPOTENCY_KEY_LENGTH } from '../../eventstore/index.js';
import { badInput } from '../errors.js';

interface MutationCall {
  readonly field: string;
  readonly args: Record<string, unknown>;
}

const current = new AsyncLocalStorage<MutationCall>();

export const MutationRequest: MiddlewareFn = ({ args, info }, next) => {
  if (info.parentType !== info.schema.getMutationType() || info.path.prev !== undefined) return next();
  const key: unknown = args.idempotencyKey;
  if (typeof key === 'string' && (key.trim() === '' || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw badInput(
      `idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, not only spaces (this one has ${key.length})`,
      { field: 'idempotencyKey' },
    );
  }
  return current.run({ field: info.fieldName, args }, next);
};

/**
 * The sha256 of the running mutation's canonical payload: its name, its arguments but the idempotency key,
 * and the caller. Two requests are the same request exactly when these are equal. Undefined outside a
 * mutation resolver.
 */
export function requestFingerprint(actor: string): string | undefined {
  const call = current.getStore();
  if (!call) return undefined;
  const { idempotencyKey: _key, ...args } = call.args;
  // Through JSON first: arguments left out are undefined, and dates become their ISO text.
  const payload = JSON.parse(JSON.stringify({ mutation: call.field, args, actor })) as unknown;
  return createHash('sha256').update(canonicalJson(payload, 'request')).digest('hex');
}
