export { DomainError, isDomainError, ensure, assertNever } from './domainError.js';
export { domainErrorKinds, type DomainErrorCode, type DomainErrorKind } from './domainErrorCodes.js';
export { type Decider, type DomainEvent, fold, event } from './decider.js';
export { requireFutureLease } from './leases.js';
export {
  type EventDefinition,
  type EventData,
  type EventOf,
  type EventOfType,
  type EventUnionOf,
  type EventRegistry,
  type Upcaster,
  defineEvent,
  createEventRegistry,
} from './eventRegistry.js';
export * from './schemas.js';
export * from './streams.js';
export {
  type TextKind,
  exactText,
  freeText,
  mapFreeText,
  textKinds,
  unmarkedTextPaths,
} from './textKinds.js';
