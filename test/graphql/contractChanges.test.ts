import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acknowledgedCoordinates, breakingChanges, isAcknowledged } from '../support/contractChanges.js';

const file = (name: string) => readFileSync(fileURLToPath(new URL(`../../${name}`, import.meta.url)), 'utf8');

describe('breaking changes of the GraphQL contract', () => {
  it('every breaking change since schema.released.graphql is listed in CHANGELOG.md under Unreleased', async () => {
    const changes = await breakingChanges(file('schema.released.graphql'), file('schema.graphql'));
    const acknowledged = acknowledgedCoordinates(file('CHANGELOG.md'));
    const unlisted = changes.filter((change) => !isAcknowledged(change, acknowledged));
    expect(
      unlisted.map((change) => `\`${change.coordinate}\`: ${change.message}`),
      'breaking changes of schema.graphql not acknowledged: list each coordinate (or one that contains it) under "## Unreleased" in CHANGELOG.md, with what a client must do',
    ).toEqual([]);
  });
});

describe('the breaking-change check', () => {
  const released = /* GraphQL */ `
    type Query {
      datasets(first: Int): [Dataset!]!
      run(runId: ID!): Run
    }
    type Dataset {
      name: String!
      domain: String
    }
    type Run {
      status: RunStatus!
    }
    enum RunStatus {
      RUNNING
      FAILED
    }
  `;
  const next = /* GraphQL */ `
    type Query {
      datasets(first: Int, archived: Boolean!): [Dataset!]!
      run(runId: ID!): Run
      models: [String!]!
    }
    type Dataset {
      name: String!
    }
    type Run {
      status: RunStatus!
    }
    enum RunStatus {
      RUNNING
    }
  `;

  it('finds removed fields and enum values and new required arguments, not additions', async () => {
    const coordinates = (await breakingChanges(released, next)).map((change) => change.coordinate).sort();
    expect(coordinates).toEqual(['Dataset.domain', 'Query.datasets.archived', 'RunStatus.FAILED']);
  });

  it('takes a coordinate listed under Unreleased, or one containing it, as acknowledged; other sections do not count', async () => {
    const changes = await breakingChanges(released, next);
    const changelog = [
      '# Changelog',
      '## Unreleased',
      '- `Dataset` lost its domain; read it from the revision.',
      '- `Query.datasets.archived` is required: pass false for the old answer.',
      '## 0.1.0',
      '- `RunStatus.FAILED` was added.',
    ].join('\n');
    const acknowledged = acknowledgedCoordinates(changelog);
    const unlisted = changes
      .filter((change) => !isAcknowledged(change, acknowledged))
      .map((c) => c.coordinate);
    expect(unlisted).toEqual(['RunStatus.FAILED']);
    expect(acknowledgedCoordinates('# Changelog\n- `Dataset`\n').size).toBe(0);
  });
});
