import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  augmentDataset,
  canonicalJson,
  EntityMatcher,
  generateAugmentedRecords,
  ingestDataset,
  lexiconHash,
  loadLexicon,
  LocalArtifactStore,
  parseLexicon,
  readCanonicalRecords,
  type DatasetRecord,
} from '../../../src/data/index.js';

const root = await mkdtemp(join(tmpdir(), 'tl-augment-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const store = new LocalArtifactStore(root);
const lexicon = await loadLexicon(
  new URL('../../../src/data/augmentation/lexicons/sample-medical-legal-finance.json', import.meta.url)
    .pathname,
);

describe('augmentation', () => {
  it('fills the founding guide templates from lexicon terms, with provenance', () => {
    const records = generateAugmentedRecords({ lexicon, seed: 1 });
    const translate = records.find(
      (r) => r.provenance?.templateId === 'translate-en' && r.provenance.substitutions.input === '高血压',
    );
    expect(translate?.messages).toEqual([
      { role: 'user', content: '将高血压翻译成英文' },
      { role: 'assistant', content: 'hypertension' },
    ]);
    expect(translate?.provenance?.substitutions).toEqual({ input: '高血压', en: 'hypertension' });
    // Every template x term pair that has the attributes the template needs, once each.
    const zhTerms = lexicon.terms.filter((t) => t.attributes.en !== undefined).length;
    const withSolutions = lexicon.terms.filter((t) => t.attributes.solutions !== undefined).length;
    const enTerms = lexicon.terms.length - zhTerms;
    expect(records.length).toBe(zhTerms * 2 + withSolutions + enTerms * 2);
    expect(new Set(records.map((r) => canonicalJson(r))).size).toBe(records.length);
  });

  it('is deterministic for a seed and different across seeds', () => {
    const a = generateAugmentedRecords({ lexicon, seed: 5, count: 10 });
    expect(generateAugmentedRecords({ lexicon, seed: 5, count: 10 })).toEqual(a);
    expect(generateAugmentedRecords({ lexicon, seed: 6, count: 10 })).not.toEqual(a);
    expect(a).toHaveLength(10);
  });

  it('records entity spans whose offsets point at the lexicon terms', () => {
    for (const record of generateAugmentedRecords({ lexicon, seed: 2 })) {
      expect(record.entities?.length).toBeGreaterThan(0);
      for (const span of record.entities ?? []) {
        const text = record.messages[span.message]!.content;
        expect(text.slice(span.start, span.end).toLowerCase()).toBe(span.term.toLowerCase());
        expect(lexicon.terms.some((t) => t.term === span.term && t.category === span.category)).toBe(true);
      }
    }
    const matcher = new EntityMatcher(
      parseLexicon({
        name: 't',
        terms: [
          { term: 'AI', category: 'x' },
          { term: '高血压', category: 'y' },
        ],
      }),
    );
    expect(matcher.find('AI and MAIL, 患高血压', 0).map((s) => [s.start, s.end])).toEqual([
      [0, 2],
      [14, 17],
    ]);
  });

  it('writes a revision with the parent records annotated, then the generated ones, and the lexicon hash', async () => {
    const path = join(root, 'parent.jsonl');
    await writeFile(
      path,
      JSON.stringify({
        instruction: 'What is hypertension? Answer in one sentence.',
        output: 'High blood pressure.',
      }),
    );
    const parent = await ingestDataset({ source: path, mode: 'strict', store, allowSmallEvalSplit: true });
    const facts = await augmentDataset({
      store,
      lexicon,
      seed: 3,
      count: 5,
      parentContentHash: parent.contentHash,
    });
    expect(facts.copied).toBe(1);
    expect(facts.generated).toBe(5);
    expect(facts.recordCount).toBe(6);
    expect(facts.lexiconHash).toBe(createHash('sha256').update(canonicalJson(lexicon)).digest('hex'));
    expect(facts.lexiconHash).toBe(lexiconHash(lexicon));
    const stored: DatasetRecord[] = [];
    for await (const r of readCanonicalRecords(store, facts.contentHash)) stored.push(r);
    expect(stored[0]!.entities?.[0]).toMatchObject({ term: 'hypertension', message: 0, start: 8, end: 20 });
    const again = await augmentDataset({
      store,
      lexicon,
      seed: 3,
      count: 5,
      parentContentHash: parent.contentHash,
    });
    expect(again.contentHash).toBe(facts.contentHash);
  });

  it('rejects a malformed lexicon with the field that is wrong', () => {
    expect(() => parseLexicon({ name: 'x', terms: [{ term: '', category: 'c' }] })).toThrow(/terms\.0\.term/);
  });
});
