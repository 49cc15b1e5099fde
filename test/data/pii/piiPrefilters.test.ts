import { describe, expect, it } from 'vitest';
import { generateHeldOutCorpus } from '../../../bench/pii/heldOutCorpus.js';
import {
  findPii,
  findPiiByScan,
  PII_SCORE_THRESHOLD,
  scorePiiCandidates,
  scorePiiCandidatesByScan,
  type ScoredPiiMatch,
} from '../../../src/data/pii/recognisers.js';
import { generatePiiCorpus } from '../../support/piiCorpus.js';
import { seededRandom } from '../../../src/data/noise/seededRandom.js';

// The recognisers skip work: a profile of the text decides which recognisers can match at all (`needs`), and
// the digit-, bracket- and capital-led patterns are tried only at the places a match can start (`fits`). Those
// pre-filters may change speed only: what `findPii` finds must be what a plain scan of every pattern over the
// whole text finds. Held to that on the labelled corpora and on texts made from them by small edits (characters
// replaced, inserted and deleted next to the identifiers, texts cut and joined), so that a pre-filter that drops
// a real match, at a boundary the corpora do not happen to hold, fails here.

/** Characters the edits put in: digits, the separators identifiers are written with, letters, full-width forms. */
const EDIT_CHARACTERS = [
  ...'0123456789',
  ...'0123456789',
  ...' -.:/+()@\n',
  ...' -',
  ...'AEGXZaex',
  '号',
  '路',
  '１',
  '９',
  '\u3000',
  '：',
  '＋',
  '（',
];

/** The text with a few edits, most of them at or beside a digit (where the identifiers are). */
function edited(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const digitPlaces: number[] = [];
    for (let i = 0; i < out.length; i++) if (/\d/.test(out[i]!)) digitPlaces.push(i);
    const at =
      digitPlaces.length > 0 && random() < 0.8
        ? digitPlaces[Math.floor(random() * digitPlaces.length)]! + Math.floor(random() * 3) - 1
        : Math.floor(random() * (out.length + 1));
    const place = Math.max(0, Math.min(out.length, at));
    const c = EDIT_CHARACTERS[Math.floor(random() * EDIT_CHARACTERS.length)]!;
    const what = random();
    if (what < 0.45) out = out.slice(0, place) + c + out.slice(place + 1);
    else if (what < 0.85) out = out.slice(0, place) + c + out.slice(place);
    else out = out.slice(0, place) + out.slice(place + 1);
  }
  return out;
}

function texts(): string[] {
  const random = seededRandom(20261208);
  const base = [
    ...generatePiiCorpus(300, 7).map((r) => r.text),
    ...generateHeldOutCorpus(300).map((r) => r.text),
  ];
  const out = [...base];
  for (const text of base) {
    out.push(edited(text, random));
    out.push(edited(text, random));
    // Cut: an identifier at the very start or end of the text.
    const cut = Math.floor(random() * text.length);
    out.push(random() < 0.5 ? text.slice(cut) : text.slice(0, cut));
  }
  // Joined without a separator: one text's last number runs into the next one's first.
  for (let i = 0; i + 1 < base.length; i += 7) out.push(base[i]! + base[i + 1]!);
  // Long texts, with more places a match may start at than the profile pass first has room for.
  for (let i = 0; i + 40 <= base.length; i += 40)
    out.push(base.slice(i, i + 40).join(i % 80 === 0 ? ' ' : '\n'));
  return out;
}

const atThreshold = (candidates: readonly (ScoredPiiMatch & { rank: number })[]) =>
  candidates
    .filter((c) => c.score >= PII_SCORE_THRESHOLD)
    .map((c) => `${c.rank}:${c.kind}:${c.start}-${c.end}:${c.score.toFixed(2)}`)
    .sort();

describe('the recognisers’ pre-filters change speed only', () => {
  const corpus = texts();

  it('has texts of every kind, edited ones among them', () => {
    expect(corpus.length).toBeGreaterThan(2400);
    const kinds = new Set(corpus.slice(0, 600).flatMap((text) => findPiiByScan(text).map((m) => m.kind)));
    expect(kinds.size).toBe(11);
  });

  it('findPii finds what a plain scan of every pattern over the whole text finds', () => {
    const differing: { text: string; found: string; scanned: string }[] = [];
    for (const text of corpus) {
      const found = JSON.stringify(findPii(text));
      const scanned = JSON.stringify(findPiiByScan(text));
      if (found !== scanned) differing.push({ text, found, scanned });
      if (differing.length === 3) break;
    }
    expect(differing).toEqual([]);
  });

  it('every candidate at the threshold is found, with its score, as the plain scan finds it', () => {
    // Below the threshold a recogniser that needs a context word is skipped where the text has none.
    const differing: { text: string; found: string[]; scanned: string[] }[] = [];
    for (const text of corpus) {
      const found = atThreshold(scorePiiCandidates(text));
      const scanned = atThreshold(scorePiiCandidatesByScan(text));
      if (found.join() !== scanned.join()) differing.push({ text, found, scanned });
      if (differing.length === 3) break;
    }
    expect(differing).toEqual([]);
  });
});
