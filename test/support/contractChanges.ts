import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

/** A breaking change of the contract and the schema coordinate that acknowledges it. */
export interface BreakingChange {
  readonly coordinate: string;
  readonly message: string;
}

/** The breaking changes from one schema (SDL) to the next, as GraphQL Inspector judges them. */
export async function breakingChanges(releasedSdl: string, currentSdl: string): Promise<BreakingChange[]> {
  const changes: Change[] = await diff(buildSchema(releasedSdl), buildSchema(currentSdl));
  return changes
    .filter((change) => change.criticality.level === CriticalityLevel.Breaking)
    .map((change) => ({ coordinate: change.path ?? change.message, message: change.message }));
}

/**
 * The schema coordinates the changelog's Unreleased section names in backticks: the text from the
 * `## Unreleased` heading to the next `## ` heading.
 */
export function acknowledgedCoordinates(changelog: string): Set<string> {
  const start = changelog.search(/^## Unreleased\s*$/m);
  if (start < 0) return new Set();
  const rest = changelog.slice(start).replace(/^## Unreleased\s*$/m, '');
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return new Set([...section.matchAll(/`([^`\s]+)`/g)].map(([, coordinate]) => coordinate!));
}

/** Whether a listed coordinate covers a change: the same coordinate, or one it lies inside (`Dataset` covers `Dataset.name`). */
export function isAcknowledged(change: BreakingChange, acknowledged: ReadonlySet<string>): boolean {
  const parts = change.coordinate.split('.');
  return parts.some((_, i) => acknowledged.has(parts.slice(0, i + 1).join('.')));
}
