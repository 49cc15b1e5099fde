/**
 * A record's split is decided once: derived revisions (augmentation, flywheel, preference rankings) keep the
 * parent's splits and hold out what is made from a held-out record; an ingest whose eval split would be below
 * its minimum is refused with the numbers and stores nothing, or is accepted with a warning when asked.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  augmentDataset,
  EvalSplitTooSmallError,
  ingestDataset,
  LocalArtifactStore,
  minimumEvalRecords,
  readCanonicalRecords,
  writeFlywheelRevision,
  writePreferenceRevision,
  type DatasetRecord,
  type Lexicon,
  type StoredRevision,
} from '../../../src/data/index.js';

const root = await mkdtemp(join(tmpdir(), 'tl-held-out-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const store = new LocalArtifactStore(join(root, 'store'));

const TERMS = Array.from({ length: 40 }, (_, i) => `术语${i + 1}号`);
const lexicon: Lexicon = {
  name: 'numbered',
  version: 1,
  terms: TERMS.map((term, i) => ({ term, category: 'test', attributes: { en: `term ${i + 1}` } })),
};
/** The records translate-en generates from the lexicon, as an alpaca file would hold them. */
const translations = TERMS.map((term, i) => ({
  instruction: `将${term}翻译成英文`,
  output: `term ${i + 1}`,
}));

const question = (record: DatasetRecord) => record.messages.findLast((m) => m.role === 'user')!.content;
async function records(hash: string): Promise<DatasetRecord[]> {
  const out: DatasetRecord[] = [];
  for await (const record of readCanonicalRecords(store, hash)) out.push(record);
  return out;
}
async function splitQuestions(revision: StoredRevision) {
  return {
    train: (await records(revision.splits.train.hash)).map(question),
    eval: (await records(revision.splits.eval.hash)).map(question),
  };
}
const jsonl = (rows: readonly object[]) => Readable.from([rows.map((r) => JSON.stringify(r)).join('\n')]);
const split = { evalFraction: 0.25, seed: 3 };

describe('held-out splits', () => {
  it('augmentation keeps the parent splits and holds out the variants of eval records', async () => {
    const parent = await ingestDataset({ source: jsonl(translations), mode: 'strict', store, split });
    const before = await splitQuestions(parent);
    expect(before.eval.length).toBeGreaterThanOrEqual(5);

    // Another generation seed, and a split option that would re-split everything if it were applied to the
    // copies: the copies keep their splits, and each generated record (a variant of an ingested one, with
    // provenance and entity spans) goes where its source is.
    const augmented = await augmentDataset({
      store,
      lexicon,
      seed: 9,
      parentContentHash: parent.contentHash,
      parentEvalSplitHash: parent.splits.eval.hash,
      split: { evalFraction: 0.9, seed: 1 },
    });
    const after = await splitQuestions(augmented);
    expect(augmented.recordCount).toBe(80);
    expect(after.eval.length).toBe(before.eval.length * 2);
    expect(new Set(after.eval)).toEqual(new Set(before.eval));
    expect(new Set(after.train)).toEqual(new Set(before.train));
    // The copies are annotated: the split did not move with the bytes.
    expect((await records(augmented.splits.eval.hash)).every((r) => (r.entities?.length ?? 0) > 0)).toBe(
      true,
    );

    // A parent that held nothing out: every copy stays train, and so does every variant of one.
    const none = await augmentDataset({
      store,
      lexicon,
      seed: 9,
      parentContentHash: parent.contentHash,
      parentEvalSplitHash: null,
      split: { evalFraction: 0.9, seed: 1 },
    });
    expect(none.splits.eval.recordCount).toBe(0);
  });

  it('the flywheel holds out answers to eval questions and keeps the parent splits', async () => {
    const parent = await ingestDataset({ source: jsonl(translations), mode: 'strict', store, split });
    const { eval: heldOut, train: trained } = await splitQuestions(parent);
    const interactions = [heldOut[0]!, heldOut[1]!, trained[0]!].map((prompt, i) => ({
      interactionId: `i${i}`,
      prompt: `user: ${prompt}`,
      response: 'not this',
      filtered: false,
      labels: [{ kind: 'correction' as const, text: `corrected ${i}` }],
    }));
    const facts = await writeFlywheelRevision({
      store,
      parentContentHash: parent.contentHash,
      parentEvalSplitHash: parent.splits.eval.hash,
      interactions,
      split: { evalFraction: 0, seed: 0 },
    });
    expect(facts.added).toBe(3);
    const after = await splitQuestions(facts);
    expect(after.eval.filter((q) => q === heldOut[0] || q === heldOut[1])).toHaveLength(4);
    expect(after.train.filter((q) => heldOut.includes(q))).toEqual([]);
    expect(after.train.filter((q) => q === trained[0])).toHaveLength(2);
  });

  it('preference pairs of one prompt share a split, the parent held-out prompts stay eval', async () => {
    const prompts = Array.from({ length: 12 }, (_, i) => ({
      promptId: `p${i}`,
      prompt: `Which answer to question ${i} is better?`,
      candidates: ['a', 'b', 'c'].map((id) => ({ candidateId: id, text: `answer ${id} to ${i}` })),
      rankings: [['a', 'b', 'c']],
    }));
    const first = await writePreferenceRevision({ store, prompts, split: { evalFraction: 0.3, seed: 2 } });
    const firstSplits = await splitQuestions(first);
    expect(firstSplits.eval.length).toBeGreaterThan(0);
    expect(firstSplits.train.filter((q) => firstSplits.eval.includes(q))).toEqual([]);
    // Another person ranks the same prompts the other way: new pairs, each in its prompt's split.
    const second = await writePreferenceRevision({
      store,
      parentContentHash: first.contentHash,
      parentEvalSplitHash: first.splits.eval.hash,
      prompts: prompts.map((p) => ({ ...p, rankings: [['c', 'b', 'a']] })),
      split: { evalFraction: 0.3, seed: 99 },
    });
    const secondSplits = await splitQuestions(second);
    expect(second.recordCount).toBe(72);
    expect(new Set(secondSplits.eval)).toEqual(new Set(firstSplits.eval));
    expect(secondSplits.train.filter((q) => secondSplits.eval.includes(q))).toEqual([]);
  });

  it('refuses an ingest whose eval split is below its minimum, storing nothing, unless it is allowed', async () => {
    expect([0, 1, 3, 20, 30, 1000].map((n) => minimumEvalRecords(n, 0.1))).toEqual([0, 1, 1, 1, 1, 5]);
    expect(minimumEvalRecords(30, 0.2)).toBe(3);
    expect(minimumEvalRecords(100, 0)).toBe(1);

    const own = new LocalArtifactStore(join(root, 'own-store'));
    const rows = translations.slice(0, 3);
    const none = { evalFraction: 0, seed: 4 };
    const error = await ingestDataset({ source: jsonl(rows), mode: 'strict', store: own, split: none }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EvalSplitTooSmallError);
    expect((error as EvalSplitTooSmallError).shortfall).toEqual({
      evalRecords: 0,
      recordCount: 3,
      minimum: 1,
      evalFraction: 0,
      seed: 4,
    });
    expect((error as Error).message).toMatch(/eval split holds 0 of 3 records \(eval fraction 0, seed 4\)/);
    const stored = await readdir(join(root, 'own-store', 'sha256')).catch(() => []);
    expect(stored).toEqual([]);

    const accepted = await ingestDataset({
      source: jsonl(rows),
      mode: 'strict',
      store: own,
      split: none,
      allowSmallEvalSplit: true,
    });
    expect(accepted.splits.eval.recordCount).toBe(0);
    expect(accepted.warnings).toEqual([expect.stringMatching(/holds 0 of 3 records.*allowSmallEvalSplit$/)]);
    const enough = await ingestDataset({ source: jsonl(translations), mode: 'strict', store: own, split });
    expect(enough.warnings).toEqual([]);
  });
});
