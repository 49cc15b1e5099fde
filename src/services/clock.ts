import { v7 as uuidv7 } from 'uuid';

/** Where services get the time; tests inject a fixed or stepping clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that starts at `start` and moves only when told: deterministic tests. */
export function manualClock(
  start: Date | string,
): Clock & { advance(ms: number): void; set(to: Date | string): void } {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (to) => {
      current = new Date(to).getTime();
    },
  };
}

/** Where services get new ids (run ids, rollback ids...); tests inject a counter. */
export interface IdGenerator {
  newId(): string;
}

export const uuidIds: IdGenerator = { newId: () => uuidv7() };

/** ids `prefix-1`, `prefix-2`, ... */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let next = 0;
  return { newId: () => `${prefix}-${++next}` };
}
