/**
 * The data flywheel over GraphQL: served interactions, labelled by people, become a new revision of an
 * instruction dataset; lineage leads from each interaction used to it; a run of the flywheel that would add
 * nothing is refused and appends nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore, readCanonicalRecords } from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { countEvents, databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

type Errors = { message: string; extensions?: { code?: string } }[] | undefined;
const worker = { actor: 'serving', roles: ['worker'] };

const flywheel = `mutation($input: FlywheelRevisionInput!) {
  m: buildFlywheelRevision(input: $input) { datasetId revision parentRevision considered added corrections copied skipped eventTypes }
}`;

for (const target of databaseTargets) {
  describe(`data flywheel (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let services: Services;
    let artifacts: LocalArtifactStore;

    beforeAll(async () => {
      database = await target.open();
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({ store, clock: systemClock, ids: uuidIds });
      runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        pollIntervalMs: 50,
      });
      runner.start();
      artifacts = new LocalArtifactStore(join(mkdtempSync(join(tmpdir(), 'tl-flywheel-')), 'artifacts'));
      api = await startHarness(database, { services, projections: runner, artifacts });
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const call = async (input: Record<string, unknown>) => {
      const response = await api.request<{ m: Record<string, unknown> }>(flywheel, { input });
      return { payload: response.data?.m, errors: response.errors as Errors };
    };
    const serve = async (interactionId: string, deploymentName: string, prompt: string, response: string) =>
      services.feedback.recordInteraction(
        {
          interactionId,
          deploymentName,
          model: { name: 'qa-model', version: 1 },
          prompt,
          response,
          latencyMs: 10,
          tokens: { prompt: 5, completion: 3 },
        },
        worker,
      );
    const label = async (interactionId: string, label: Record<string, unknown>) => {
      const response = await api.request(
        'mutation($i: ID!, $l: JSON!) { labelFeedback(interactionId: $i, label: $l) { id } }',
        { i: interactionId, l: label },
      );
      expect(response.errors).toBeUndefined();
    };

    it('turns praised answers and corrections into a revision with lineage to the interactions', async () => {
      const ingested = await api.request<{ m: { datasetId: string; revision: number } }>(
        'mutation($input: DatasetIngestInput!) { m: ingestDataset(input: $input) { datasetId revision } }',
        {
          input: {
            name: 'support-qa',
            content: '{"instruction":"How do I reset my password?","output":"Use the reset link."}\n',
            format: 'alpaca',
          },
        },
      );
      expect(ingested.errors).toBeUndefined();
      const datasetId = ingested.data!.m.datasetId;

      await serve('i-good', 'prod', 'user: What is the capital of France?', 'Paris.');
      await serve('i-fixed', 'prod', 'system: be brief\nuser: Who do I mail?', 'No idea.');
      await serve('i-bad', 'prod', 'user: 2 + 2?', '5');
      await serve('i-unlabelled', 'prod', 'user: hello', 'hi');
      await serve('i-other', 'staging', 'user: staging question', 'staging answer');
      await label('i-good', { kind: 'thumbs', up: true });
      await label('i-fixed', { kind: 'thumbs', up: false });
      await label('i-fixed', { kind: 'correction', text: 'Write to help@example.com.' });
      await label('i-bad', { kind: 'rating', value: 2 });
      await label('i-other', { kind: 'thumbs', up: true });

      const built = await call({ datasetId, deploymentName: 'prod', evalFraction: 0 });
      expect(built.errors).toBeUndefined();
      expect(built.payload).toEqual({
        datasetId,
        revision: 2,
        parentRevision: 1,
        considered: 3,
        added: 2,
        corrections: 1,
        copied: 1,
        skipped: { rejected: 1 },
        eventTypes: ['DatasetRevisionAdded'],
      });

      const revision = (await api.store.readStream(`dataset-${datasetId}`)).at(-1)!.data as {
        contentHash: string;
        transform: { kind: string };
        sourceInteractions: string[];
        piiReport: { counts: Record<string, number> };
      };
      expect(revision.transform.kind).toBe('flywheel');
      expect(revision.sourceInteractions.sort()).toEqual(['i-fixed', 'i-good']);
      expect(revision.piiReport.counts).toEqual({ email: 1 });
      const records: { messages: { role: string; content: string }[] }[] = [];
      for await (const record of readCanonicalRecords(artifacts, revision.contentHash))
        records.push(record as never);
      expect(records).toHaveLength(3);
      const fixed = records.find((r) => r.messages.some((m) => m.content === 'Who do I mail?'))!;
      expect(fixed.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
      expect(fixed.messages[2]!.content).not.toContain('help@example.com');

      const lineage = await api.request<{
        lineage: { edges: { from: string; to: string; relation: string }[] };
      }>(
        'query($id: ID!) { lineage(id: $id, direction: upstream, depth: 1) { edges { from to relation } } }',
        { id: `dataset:${datasetId}@2` },
      );
      expect(
        lineage
          .data!.lineage.edges.filter((e) => e.relation === 'collected')
          .map((e) => e.from)
          .sort(),
      ).toEqual(['interaction:i-fixed', 'interaction:i-good']);

      // Nothing new since: refused, and the log is unchanged.
      const before = await countEvents(database);
      const again = await call({ datasetId, deploymentName: 'prod' });
      expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(again.errors?.[0]?.message).toMatch(/no new records .* 2 duplicate, 1 rejected/);
      expect(await countEvents(database)).toBe(before);

      const badRating = await call({ datasetId, minRating: 9 });
      expect(badRating.errors?.[0]?.message).toMatch(/minRating must be an integer from 1 to 5/);
    });
  });
}
