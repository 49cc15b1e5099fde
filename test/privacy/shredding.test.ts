/**
 * Crypto-shredding end to end on a real database: two subjects' interactions, labels and preference prompts
 * are recorded through the shredding store; the log holds only ciphertext of them. Forgetting one (admin only)
 * erases that subject's texts in read models, over GraphQL and in a new flywheel revision, while the other's
 * stay; the hash chain still verifies; a rebuild of every projection from the log does not bring them back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore, readCanonicalRecords } from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { StreamSnapshots } from '../../src/graphql/audit/streamSnapshots.js';
import { ERASED, ShreddingEventStore, SubjectKeys } from '../../src/privacy/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { countEvents, databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from '../graphql/harness.js';

const forget = `mutation($s: String!, $r: String!) { forgetSubject(subjectId: $s, reason: $r) { id eventTypes } }`;
const interactionsQuery = `{ interactions(first: 10) { edges { node {
  interactionId prompt response labels { edges { node { kind correction labeler } } } } } } }`;

type InteractionNode = {
  interactionId: string;
  prompt: string;
  response: string;
  labels: { edges: { node: { kind: string; correction: string | null; labeler: string } }[] };
};

for (const target of databaseTargets) {
  describe(`crypto-shredding (${target.name})`, () => {
    let database: TestDatabase;
    let keys: SubjectKeys;
    let store: ShreddingEventStore;
    let services: Services;
    let runner: ProjectionRunner;
    let api: Harness;
    let artifacts: LocalArtifactStore;

    beforeAll(async () => {
      database = await target.open();
      keys = new SubjectKeys(database.db, randomBytes(32));
      store = new ShreddingEventStore(new PostgresEventStore(database, { pollIntervalMs: 50 }), keys);
      services = createServices({ store, clock: systemClock, ids: uuidIds, subjectKeys: keys });
      runner = new ProjectionRunner({
        db: database.db,
        store,
        projections: allProjections,
        pollIntervalMs: 50,
      });
      runner.start();
      artifacts = new LocalArtifactStore(join(mkdtempSync(join(tmpdir(), 'tl-shred-')), 'artifacts'));
      api = await startHarness(database, { store, services, projections: runner, artifacts });
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const serve = (subject: string, interactionId: string, prompt: string, response: string) =>
      services.feedback.recordInteraction(
        {
          interactionId,
          deploymentName: 'prod',
          model: { name: 'qa-model', version: 1 },
          prompt,
          response,
          latencyMs: 10,
          tokens: { prompt: 5, completion: 3 },
        },
        { actor: subject },
      );
    const rawLog = async () =>
      (await sql<{ data: string }>`SELECT data::text AS data FROM events`.execute(database.db)).rows
        .map((row) => row.data)
        .join('\n');
    let adminToken: string | undefined;
    const interactions = async () => {
      const response = await api.request<{ interactions: { edges: { node: InteractionNode }[] } }>(
        interactionsQuery,
        {},
        adminToken,
      );
      expect(response.errors).toBeUndefined();
      return new Map(response.data!.interactions.edges.map(({ node }) => [node.interactionId, node]));
    };

    it("erases one subject's texts everywhere, keeps the other's, and the chain still verifies", async () => {
      const ingested = await api.request<{ m: { datasetId: string } }>(
        'mutation($input: DatasetIngestInput!) { m: ingestDataset(input: $input) { datasetId } }',
        {
          input: {
            name: 'support-qa',
            content: '{"instruction":"How do I reset my password?","output":"Use the reset link."}\n',
            format: 'ALPACA',
            allowSmallEvalSplit: true,
          },
        },
      );
      expect(ingested.errors).toBeUndefined();
      const datasetId = ingested.data!.m.datasetId;

      await serve('alice', 'i-alice', 'user: alice-secret-question', 'alice-secret-answer');
      await serve('bob', 'i-bob', 'user: bob question', 'bob answer');
      await services.feedback.labelFeedback(
        { interactionId: 'i-alice', label: { kind: 'thumbs', up: true } },
        { actor: 'alice' },
      );
      await services.feedback.labelFeedback(
        { interactionId: 'i-bob', label: { kind: 'correction', text: 'alice-secret-correction' } },
        // Corrections become training data: only a labeler (or engineer, admin) may give one.
        { actor: 'alice', roles: ['labeler'] },
      );
      await services.feedback.labelFeedback(
        { interactionId: 'i-bob', label: { kind: 'thumbs', up: true } },
        { actor: 'bob' },
      );
      const generated = await services.feedback.generateCandidates(
        {
          promptId: 'p-alice',
          prompt: 'alice-secret-prompt',
          candidates: [{ text: 'alice-a' }, { text: 'alice-b' }],
        },
        { actor: 'alice' },
      );
      await runner.waitFor(generated.events.at(-1)!.checkpoint);

      // The log never held a plaintext of a personal field: only envelopes.
      const before = await rawLog();
      for (const secret of [
        'alice-secret-question',
        'alice-secret-answer',
        'alice-secret-correction',
        'alice-secret-prompt',
        'bob answer',
      ])
        expect(before).not.toContain(secret);
      expect(before).toContain('"$enc": "v1"');
      // Read through the store, the texts are there.
      const shown = await interactions();
      expect(shown.get('i-alice')!.prompt).toBe('user: alice-secret-question');
      expect(shown.get('i-bob')!.labels.edges.map((e) => e.node.correction)).toContain(
        'alice-secret-correction',
      );

      // Only an admin may forget: a viewer and an engineer are refused and nothing changes.
      for (const role of ['viewer', 'engineer'] as const) {
        const token = (
          await api.server.tokens.create({ actor: `${role}-1`, roles: [role], createdBy: 'test' })
        ).token;
        const events = await countEvents(database);
        const refused = await api.request(forget, { s: 'alice', r: 'GDPR Art. 17 request' }, token);
        expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(await countEvents(database)).toBe(events);
        expect((await keys.existingKeys(['alice'])).size).toBe(1);
      }
      const admin = (await api.server.tokens.create({ actor: 'ada', roles: ['admin'], createdBy: 'test' }))
        .token;
      adminToken = admin;
      const forgotten = await api.request<{ forgetSubject: { id: string; eventTypes: string[] } }>(
        forget,
        { s: 'alice', r: 'GDPR Art. 17 request' },
        admin,
      );
      expect(forgotten.errors).toBeUndefined();
      expect(forgotten.data!.forgetSubject).toEqual({ id: 'alice', eventTypes: ['SubjectForgotten'] });
      const keyRows = await sql<{
        subject_id: string;
      }>`SELECT subject_id FROM subject_keys ORDER BY subject_id`.execute(database.db);
      expect(keyRows.rows.map((row) => row.subject_id)).toEqual(['bob']);

      const expectErased = async () => {
        const after = await interactions();
        expect(after.get('i-alice')).toMatchObject({ prompt: ERASED, response: ERASED });
        expect(after.get('i-bob')).toMatchObject({ prompt: 'user: bob question', response: 'bob answer' });
        const bobLabels = after.get('i-bob')!.labels.edges.map((e) => e.node);
        expect(bobLabels).toContainEqual({ kind: 'CORRECTION', correction: ERASED, labeler: ERASED });
        expect(bobLabels).toContainEqual({ kind: 'THUMBS', correction: null, labeler: 'bob' });
        const prompt = await sql<{ prompt: string; candidates: { text: string }[] }>`
          SELECT prompt, candidates FROM preference_prompts WHERE prompt_id = 'p-alice'`.execute(database.db);
        expect(prompt.rows[0]!.prompt).toBe(ERASED);
        expect(prompt.rows[0]!.candidates.map((c) => c.text)).toEqual([ERASED, ERASED]);
      };
      await expectErased();

      // The hash chain covers the ciphertext, which did not change.
      for (const stream of [
        'interaction-i-alice',
        'interaction-i-bob',
        'preference-p-alice',
        'subject-alice',
      ])
        expect((await api.store.verify(stream)).ok).toBe(true);
      // Audit reports verify the chains as stored and show the texts decoded (this failed when they
      // verified decrypted data: every encrypted stream read as tampered).
      const audited = await new StreamSnapshots().read({ store, db: database.db }, [
        'interaction-i-alice',
        'interaction-i-bob',
      ]);
      for (const stream of audited.values()) expect(stream.integrity.ok).toBe(true);
      expect(JSON.stringify(audited.get('interaction-i-alice')!.events)).toContain(ERASED);
      expect(JSON.stringify(audited.get('interaction-i-bob')!.events)).toContain('bob answer');

      // A flywheel revision built now leaves the erased exchange and correction out, and says so.
      const built = await api.request<{ m: { skipped: Record<string, number>; added: number } }>(
        'mutation($input: FlywheelRevisionInput!) { m: buildFlywheelRevision(input: $input) { added skipped } }',
        { input: { datasetId, deploymentName: 'prod', evalFraction: 0 } },
        admin,
      );
      expect(built.errors).toBeUndefined();
      expect(built.data!.m.skipped).toEqual({ erased: 1, erasedCorrections: 1 });
      const revision = (await store.readStream(`dataset-${datasetId}`)).at(-1)!.data as {
        contentHash: string;
        sourceInteractions: string[];
        transform: { params: { skipped: Record<string, number> } };
      };
      expect(revision.sourceInteractions).toEqual(['i-bob']);
      expect(revision.transform.params.skipped).toEqual({ erased: 1, erasedCorrections: 1 });
      const texts: string[] = [];
      for await (const record of readCanonicalRecords(artifacts, revision.contentHash))
        texts.push(JSON.stringify(record));
      expect(texts.join('\n')).not.toContain(ERASED);
      expect(texts.join('\n')).toContain('bob answer');

      // Rebuilding every projection from the log does not bring anything back.
      // (A fresh runner, as `tuneledger` would after a restore: it catches up from the log before returning.)
      await runner.stop();
      await new ProjectionRunner({ db: database.db, store, projections: allProjections }).rebuild();
      await expectErased();
      expect(await rawLog()).not.toContain('alice-secret');
    });

    it('forgetting a subject again records nothing more', async () => {
      const again = await services.privacy.forgetSubject(
        { subjectId: 'alice', reason: 'again' },
        { actor: 'ada' },
      );
      expect(again.events).toEqual([]);
      expect(again.keyDestroyed).toBe(false);
    });
  });
}
