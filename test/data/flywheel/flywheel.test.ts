import { mkdtemp, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  flywheelVerdict,
  ingestDataset,
  rankingPairs,
  LocalArtifactStore,
  promptMessages,
  readCanonicalRecords,
  writeFlywheelRevision,
  type DatasetRecord,
  type LabelledInteraction,
} from '../../../src/data/index.js';

const root = await mkdtemp(join(tmpdir(), 'tl-flywheel-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const store = new LocalArtifactStore(root);

const interaction = (
  id: string,
  labels: LabelledInteraction['labels'],
  extra: Partial<LabelledInteraction> = {},
) => ({
  interactionId: id,
  prompt: `user: question ${id}`,
  response: `answer ${id}`,
  filtered: false,
  labels,
  ...extra,
});

const atRating4 = { minRating: 4 };

describe('flywheel', () => {
  it('keeps praised answers and corrections, and says why it left the rest out', () => {
    expect(flywheelVerdict(interaction('a', [{ kind: 'thumbs', up: true }]), atRating4)).toEqual({
      output: 'answer a',
      source: 'response',
    });
    expect(flywheelVerdict(interaction('b', [{ kind: 'rating', value: 4 }]), atRating4)).toMatchObject({
      source: 'response',
    });
    expect(flywheelVerdict(interaction('c', [{ kind: 'rating', value: 3 }]), atRating4)).toEqual({
      skip: 'rejected',
    });
    // The latest judgement wins.
    expect(
      flywheelVerdict(
        interaction('d', [
          { kind: 'thumbs', up: true },
          { kind: 'thumbs', up: false },
        ]),
        atRating4,
      ),
    ).toEqual({ skip: 'rejected' });
    // A person's correction is the answer, whatever the judgement of the model's.
    expect(
      flywheelVerdict(
        interaction('e', [
          { kind: 'thumbs', up: false },
          { kind: 'correction', text: 'right' },
        ]),
        atRating4,
      ),
    ).toEqual({ output: 'right', source: 'correction' });
    expect(
      flywheelVerdict(interaction('f', [{ kind: 'error-category', category: 'wrong' }]), atRating4),
    ).toEqual({
      skip: 'no-verdict',
    });
    expect(flywheelVerdict(interaction('g', []), atRating4)).toEqual({ skip: 'unlabelled' });
    expect(
      flywheelVerdict(interaction('h', [{ kind: 'thumbs', up: true }], { filtered: true }), atRating4),
    ).toEqual({
      skip: 'filtered',
    });
  });

  it('with a minimum reward, keeps a praised answer only when its reward score reaches it; never filters corrections', () => {
    const praised = [{ kind: 'thumbs', up: true }] as const;
    const thresholds = { minRating: 4, minReward: 0.5 };
    expect(flywheelVerdict(interaction('a', praised, { rewardScore: 0.5 }), thresholds)).toEqual({
      output: 'answer a',
      source: 'response',
    });
    expect(flywheelVerdict(interaction('b', praised, { rewardScore: 0.49 }), thresholds)).toEqual({
      skip: 'low-reward',
    });
    expect(flywheelVerdict(interaction('c', praised), thresholds)).toEqual({ skip: 'unscored' });
    // A rejected answer stays rejected whatever its score.
    expect(
      flywheelVerdict(interaction('d', [{ kind: 'thumbs', up: false }], { rewardScore: 9 }), thresholds),
    ).toEqual({ skip: 'rejected' });
    // The correction is a person's answer, not the scored one.
    expect(
      flywheelVerdict(
        interaction('e', [{ kind: 'correction', text: 'right' }], { rewardScore: -9 }),
        thresholds,
      ),
    ).toEqual({ output: 'right', source: 'correction' });
    // Without a minimum, the score does not matter.
    expect(flywheelVerdict(interaction('f', praised, { rewardScore: -9 }), atRating4)).toMatchObject({
      source: 'response',
    });
  });

  it('reads logged chat transcripts back into turns, and plain prompts as one user turn', () => {
    expect(
      promptMessages('system: be brief\nuser: two lines\nof question\nassistant: ok\nuser: and?'),
    ).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'two lines\nof question' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'and?' },
    ]);
    expect(promptMessages('Translate: hello')).toEqual([{ role: 'user', content: 'Translate: hello' }]);
  });

  it('writes the parent records and then the new ones, redacted, with no exact duplicates', async () => {
    const parent = await ingestDataset({
      source: Readable.from(['{"instruction":"old question","input":"","output":"old answer"}\n']),
      format: 'alpaca',
      mode: 'strict',
      store,
      split: { evalFraction: 0, seed: 1 },
      allowSmallEvalSplit: true,
    });
    const interactions = [
      interaction('a', [{ kind: 'thumbs', up: true }]),
      interaction('b', [{ kind: 'correction', text: 'Write to jane.doe@example.com' }]),
      interaction('c', [{ kind: 'rating', value: 1 }]),
      // The same exchange praised twice: one record.
      interaction('a2', [{ kind: 'rating', value: 5 }], { prompt: 'user: question a', response: 'answer a' }),
    ];
    const facts = await writeFlywheelRevision({
      store,
      parentContentHash: parent.contentHash,
      interactions,
      split: { evalFraction: 0, seed: 1 },
    });
    expect(facts).toMatchObject({ copied: 1, added: 2, used: ['a', 'b'], corrections: 1, recordCount: 3 });
    expect(facts.skipped).toEqual({ rejected: 1, duplicate: 1 });
    expect(facts.pii).toEqual({ email: 1 });
    const records: DatasetRecord[] = [];
    for await (const record of readCanonicalRecords(store, facts.contentHash)) records.push(record);
    expect(records.map((r) => r.messages.at(-1)!.content)).toEqual([
      'old answer',
      'answer a',
      expect.not.stringContaining('jane.doe@example.com'),
    ]);
    expect(records[2]!.messages[0]).toEqual({ role: 'user', content: 'question b' });

    // Again over the same interactions: nothing new.
    const again = await writeFlywheelRevision({
      store,
      parentContentHash: facts.contentHash,
      interactions,
      split: { evalFraction: 0, seed: 1 },
    });
    expect(again).toMatchObject({ added: 0, contentHash: facts.contentHash });
  });

  it('pairs every candidate with each one ranked below it', () => {
    expect(rankingPairs(['a', 'b', 'c'])).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ]);
    expect(rankingPairs(['x', 'y'])).toEqual([['x', 'y']]);
  });
});
