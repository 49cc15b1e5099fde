/**
 * `npm run bench -- pii [--records N] [--runs N] [--mb N]`: span-level recall and precision by
 * kind on the labelled mixed zh/en corpus (test/support/piiCorpus.ts, default 5,000 records: bare
 * identifiers and as many look-alikes) and on the held-out corpus written apart from the
 * recognisers (bench/pii/heldOutCorpus.ts, as many records), and redaction MB/s, each for the
 * current recognisers and for the earlier ones (bench/pii/legacyRecognisers.ts) in the same run,
 * on the corpus, the held-out corpus and the data bench's mixed text.
 */
import { findPii, PII_PLACEHOLDERS, redactText, type PiiCounts, type PiiMatch } from '../src/data/index.js';
import { generatePiiCorpus } from '../test/support/piiCorpus.js';
import { measure } from '../test/support/piiMeasure.js';
import { redactionCorpus } from './data.js';
import { round, withSpread, type BenchResult } from './lib.js';
import { generateHeldOutCorpus } from './pii/heldOutCorpus.js';
import { scoreHeldOut } from './pii/heldOutScore.js';
import { findPiiBefore } from './pii/legacyRecognisers.js';

function arg(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? Number(args[at + 1]) : fallback;
}

/** The earlier redactText: every span replaced by its placeholder. */
function redactBefore(text: string, counts: PiiCounts): string {
  const matches: PiiMatch[] = findPiiBefore(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + PII_PLACEHOLDERS[match.kind];
    at = match.end;
    counts[match.kind] = (counts[match.kind] ?? 0) + 1;
  }
  return out + text.slice(at);
}

function repeatTo(lines: readonly string[], megabytes: number): string[] {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < megabytes * 1e6; i++) {
    const line = lines[i % lines.length]!;
    out.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return out;
}

/** MB/s over the wall clock, and per CPU-second of this process (steadier when other work shares the cores). */
function rate(
  lines: readonly string[],
  redact: (text: string, counts: PiiCounts) => string,
): { wall: number; cpu: number } {
  const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  const counts: PiiCounts = {};
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (const line of lines) redact(line, counts);
  const used = process.cpuUsage(cpu);
  return {
    wall: bytes / 1e6 / ((performance.now() - t) / 1000),
    cpu: bytes / 1e6 / ((used.user + used.system) / 1e6),
  };
}

export default async function (args: string[]): Promise<BenchResult> {
  const records = arg(args, '--records', 5000);
  const runs = arg(args, '--runs', 5);
  const megabytes = arg(args, '--mb', 10);
  const corpus = generatePiiCorpus(records);
  const now = measure(corpus);
  const before = measure(corpus, findPiiBefore);

  const accuracy: Record<string, number> = {};
  for (const [kind, score] of Object.entries(now.byKind).sort(([a], [b]) => a.localeCompare(b))) {
    const earlier = before.byKind[kind];
    accuracy[`${kind}_recall`] = round(score.recall);
    accuracy[`${kind}_precision`] = round(score.precision);
    accuracy[`${kind}_recall_before`] = round(earlier?.recall ?? 0);
    accuracy[`${kind}_precision_before`] = round(earlier?.precision ?? 1);
  }

  const heldOutCorpus = generateHeldOutCorpus(records);
  const heldOut = scoreHeldOut(heldOutCorpus, findPii);
  const heldOutBefore = scoreHeldOut(heldOutCorpus, findPiiBefore);
  for (const [kind, score] of Object.entries(heldOut.byKind).sort(([a], [b]) => a.localeCompare(b))) {
    accuracy[`heldout_${kind}_recall`] = round(score.recall);
    accuracy[`heldout_${kind}_precision`] = round(score.precision);
  }
  const lookAlikesRedacted = Object.entries(heldOut.redactedLookAlikes)
    .filter(([, n]) => n.redacted > 0)
    .map(([category, n]) => `${category} ${n.redacted}/${n.total}`);
  const formsMissed = Object.entries(heldOut.missedForms).map(([form, n]) => `${form} ${n}`);

  const texts = {
    corpus: repeatTo(
      corpus.map((r) => r.text),
      megabytes,
    ),
    heldOut: repeatTo(
      heldOutCorpus.map((r) => r.text),
      megabytes,
    ),
    mixed: redactionCorpus(megabytes),
  };
  const sides = [
    'corpusNow',
    'corpusBefore',
    'heldOutNow',
    'heldOutBefore',
    'mixedNow',
    'mixedBefore',
  ] as const;
  const samples = Object.fromEntries(sides.map((side) => [side, [] as number[]])) as Record<
    (typeof sides)[number],
    number[]
  >;
  const cpuSamples = Object.fromEntries(sides.map((side) => [side, [] as number[]])) as Record<
    (typeof sides)[number],
    number[]
  >;
  const sample = (side: (typeof sides)[number], r: { wall: number; cpu: number }) => {
    samples[side].push(r.wall);
    cpuSamples[side].push(r.cpu);
  };
  const redactNow = (text: string, counts: PiiCounts) => redactText(text, counts);
  for (let run = 0; run < runs; run++) {
    // Interleaved, so a busy neighbour slows both sides alike.
    sample('corpusBefore', rate(texts.corpus, redactBefore));
    sample('corpusNow', rate(texts.corpus, redactNow));
    sample('heldOutBefore', rate(texts.heldOut, redactBefore));
    sample('heldOutNow', rate(texts.heldOut, redactNow));
    sample('mixedBefore', rate(texts.mixed, redactBefore));
    sample('mixedNow', rate(texts.mixed, redactNow));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const ratio = (now: number[], before: number[]) => {
    const r = median(now) / median(before);
    return `${r >= 1 ? 'yes' : 'no'} (${r.toFixed(2)})`;
  };
  const spans = corpus.reduce((sum, r) => sum + r.spans.length, 0);
  const lookAlikes = corpus.reduce((sum, r) => sum + r.lookAlikes, 0);
  return {
    name: 'pii',
    backend: 'node',
    inputs: {
      records,
      identifiers: spans,
      lookAlikes,
      heldOutIdentifiers: heldOutCorpus.reduce((sum, r) => sum + r.spans.length, 0),
      heldOutLookAlikes: heldOutCorpus.reduce((sum, r) => sum + r.lookAlikes.length, 0),
      runs,
      megabytes,
    },
    metrics: {
      recall: round(now.overall.recall),
      precision: round(now.overall.precision),
      recall_before: round(before.overall.recall),
      precision_before: round(before.overall.precision),
      ...accuracy,
      heldout_recall: round(heldOut.overall.recall),
      heldout_precision: round(heldOut.overall.precision),
      heldout_recall_before: round(heldOutBefore.overall.recall),
      heldout_precision_before: round(heldOutBefore.overall.precision),
      heldout_covered_any_kind: round(heldOut.coveredAnyKind),
      ...withSpread('redaction_corpus_mb_per_s', samples.corpusNow),
      ...withSpread('redaction_corpus_mb_per_s_before', samples.corpusBefore),
      ...withSpread('redaction_heldout_mb_per_s', samples.heldOutNow),
      ...withSpread('redaction_heldout_mb_per_s_before', samples.heldOutBefore),
      ...withSpread('redaction_mixed_mb_per_s', samples.mixedNow),
      ...withSpread('redaction_mixed_mb_per_s_before', samples.mixedBefore),
      ...Object.fromEntries(
        sides.map((side) => [`redaction_${side}_mb_per_cpu_s`, round(median(cpuSamples[side]))]),
      ),
    },
    goals: [
      `recall >= 0.995: ${now.overall.recall >= 0.995 ? 'yes' : 'no'} (${now.overall.recall.toFixed(4)}, before ${before.overall.recall.toFixed(4)})`,
      `precision >= 0.98: ${now.overall.precision >= 0.98 ? 'yes' : 'no'} (${now.overall.precision.toFixed(4)}, before ${before.overall.precision.toFixed(4)})`,
      `held-out corpus: recall ${heldOut.overall.recall.toFixed(4)}, precision ${heldOut.overall.precision.toFixed(4)} (before ${heldOutBefore.overall.recall.toFixed(4)} / ${heldOutBefore.overall.precision.toFixed(4)}); covered by spans of any kind ${heldOut.coveredAnyKind.toFixed(4)}`,
      `held-out misses by form: ${formsMissed.join(', ') || 'none'}`,
      `held-out look-alikes redacted: ${lookAlikesRedacted.join(', ') || 'none'}`,
      `redaction at least as fast as before (median ratio, same run): corpus ${ratio(samples.corpusNow, samples.corpusBefore)}, held-out ${ratio(samples.heldOutNow, samples.heldOutBefore)}, mixed ${ratio(samples.mixedNow, samples.mixedBefore)}`,
      `same, per CPU-second of this process (steadier on a loaded machine): corpus ${ratio(cpuSamples.corpusNow, cpuSamples.corpusBefore)}, held-out ${ratio(cpuSamples.heldOutNow, cpuSamples.heldOutBefore)}, mixed ${ratio(cpuSamples.mixedNow, cpuSamples.mixedBefore)}`,
      `redaction >= 20 MB/s on the data bench's mixed text: ${median(samples.mixedNow) >= 20 ? 'yes' : 'no'} (${round(median(samples.mixedNow))}, before ${round(median(samples.mixedBefore))}); on the PII corpus ${round(median(samples.corpusNow))}, before ${round(median(samples.corpusBefore))}`,
    ],
  };
}
