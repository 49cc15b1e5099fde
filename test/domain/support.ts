import { expect } from 'vitest';
import { DomainError, eventRegistry, fold, type Decider, type DomainEvent } from '../../src/domain/index.js';

/**
 * given(events).when(command).then(events) / .thenThrows(code) for one decider. Every event a
 * decision produces is also parsed by its registry schema, so a decider cannot emit a payload its
 * own event contract would refuse.
 */
export function specFor<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
  return {
    given(events: readonly Event[]) {
      return {
        when(command: Command) {
          const run = () => decider.decide(command, fold(decider, events));
          return {
            then(expected: readonly Event[]): readonly Event[] {
              const produced = run();
              for (const event of produced) {
                expect(
                  eventRegistry.validate(event.type, event.data),
                  `${event.type} matches its schema`,
                ).toEqual(event.data);
              }
              expect(produced).toEqual(expected);
              return produced;
            },
            thenThrows(code: string): DomainError {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(caught, `expected DomainError ${code}`).toBeInstanceOf(DomainError);
              const domainError = caught as DomainError;
              expect(domainError.code).toBe(code);
              expect(domainError.message.length).toBeGreaterThan(20);
              return domainError;
            },
          };
        },
      };
    },
  };
}

export const hash = (seed: string): string => {
  const hex = [...seed].map((char) => char.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  return hex.padEnd(64, '0').slice(0, 64);
};

export const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
