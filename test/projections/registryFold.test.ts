import { describe, expect, it } from 'vitest';
import { generateLifecycle } from '../../bench/projections.js';
import type { ProjectedEvent } from '../../src/projections/lifecycleEvent.js';
import {
  applyRegistryChange,
  applyRegistryChangeInPlace,
  emptyRegistry,
  registryChanges,
  registryEventTypes,
  type OwnedRegistry,
  type RegistryEventType,
  type RegistryState,
} from '../../src/projections/registry.fold.js';

const shape = (registry: RegistryState) =>
  JSON.stringify(
    [...registry.values()].map((model) => ({ ...model, versions: [...model.versions.values()] })),
  );

describe('registry fold in place (time travel)', () => {
  it('ends in the same registry as the pure fold the projection uses, which never changes a state it returned', () => {
    const events = generateLifecycle({ events: 6000, progressPerRun: 5 })
      .flatMap((append) => append.events)
      .filter((event) => (registryEventTypes as readonly string[]).includes(event.type))
      .map(
        (event, index) =>
          ({ ...event, eventId: `e${index}` }) as unknown as ProjectedEvent<RegistryEventType>,
      );
    expect(events.length).toBeGreaterThan(100);
    let pure = emptyRegistry;
    const owned: OwnedRegistry = new Map();
    const early: { state: RegistryState; shape: string }[] = [];
    for (const [index, event] of events.entries()) {
      for (const change of registryChanges(event)) {
        pure = applyRegistryChange(pure, change);
        applyRegistryChangeInPlace(owned, change);
      }
      if (index % 25 === 0) early.push({ state: pure, shape: shape(pure) });
      expect(shape(owned)).toBe(shape(pure));
    }
    for (const { state, shape: then } of early) expect(shape(state)).toBe(then);
  });
});
