/**
 * `npm run bench -- data [--records N] [--runs N] [--redact-mb N]`: dataset ingest records/s and
 * MB/s for an alpaca JSONL generated on the fly (default 1,000,000 records), with and without PII
 * redaction, beside a parse-only baseline; and redaction MB/s over mixed Chinese/English text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ingestDataset, LocalArtifactStore, redactText, type PiiCounts } from '../src/data/index.js';
import { round, withSpread, type BenchResult } from './lib.js';

function arg(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? Number(args[at + 1]) : fallback;
}

const VERBS = [
  'Explain',
  'Summarise',
  'Translate',
  'List',
  'Write',
  'Classify',
  '用简洁的语言解释',
  '将下面的句子翻译成英文',
];
const TOPICS = [
  'the water cycle',
  'a binary search tree',
  'compound interest',
  '高血压的常见症状',
  'force majeure clauses',
  'photosynthesis',
];

/** Alpaca record i, deterministic; about 1 in 20 carries a phone number or e-mail address. */
function alpacaLine(i: number): string {
  const pii = i % 20 === 0 ? ` Contact: user${i}@example.com or 138${String(i % 1e8).padStart(8, '0')}.` : '';
  return `${JSON.stringify({
    instruction: `${VERBS[i % VERBS.length]} ${TOPICS[(i >> 3) % TOPICS.length]} in ${(i % 5) + 2} sentences (#${i}).`,
    input: i % 3 === 0 ? '' : `Context ${i}: the reader is a first-year student.${pii}`,
    output: `Here is an answer of moderate length for item ${i}, written in plain language with one example and a short summary at the end.`,
  })}\n`;
}

function generatedJsonl(records: number): { stream: () => Readable; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < records; i++) bytes += Buffer.byteLength(alpacaLine(i));
  const stream = () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < records; i += 2000) {
          let chunk = '';
          for (let j = i; j < Math.min(records, i + 2000); j++) chunk += alpacaLine(j);
          yield chunk;
        }
      })(),
      { objectMode: false, encoding: 'utf8' },
    );
  return { stream, bytes };
}

export function redactionCorpus(megabytes: number): string[] {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < megabytes * 1e6; i++) {
    const line =
      i % 4 === 0
        ? `患者张先生,电话138${String(i % 1e8).padStart(8, '0')},于2024-03-${String((i % 28) + 1).padStart(2, '0')}就诊,主诉头痛三天,订单号2024031500${i}。`
        : i % 4 === 1
          ? `Please send the report to analyst${i}@example.com before 5pm; the server at 10.0.${i % 256}.${(i * 7) % 256} runs v2.${i % 10}.1.`
          : `The contract takes effect next week and revenue grew ${i % 50}% this quarter, according to the board's summary of item ${i}.`;
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return lines;
}

export default async function (args: string[]): Promise<BenchResult> {
  const records = arg(args, '--records', 1_000_000);
  const runs = arg(args, '--runs', 3);
  const redactMb = arg(args, '--redact-mb', 20);
  const { stream, bytes } = generatedJsonl(records);
  const root = await mkdtemp(join(tmpdir(), 'tl-bench-data-'));
  const store = new LocalArtifactStore(root);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const baseline: number[] = [];
  const plain: number[] = [];
  const redacted: number[] = [];
  // Records per CPU-second of this process: steadier than wall time when other work shares the cores.
  const plainCpu: number[] = [];
  const redactedCpu: number[] = [];
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e6;
  };
  try {
    for (let run = 0; run < runs; run++) {
      let t = performance.now();
      let parsed = 0;
      let carry = '';
      for await (const chunk of stream()) {
        const lines = (carry + (chunk as string)).split('\n');
        carry = lines.pop()!;
        for (const line of lines) if (JSON.parse(line)) parsed++;
      }
      baseline.push(parsed / ((performance.now() - t) / 1000));

      t = performance.now();
      let cpu = process.cpuUsage();
      const a = await ingestDataset({
        source: stream(),
        container: 'jsonl',
        mode: 'strict',
        store,
        redact: false,
      });
      plain.push(a.recordCount / ((performance.now() - t) / 1000));
      plainCpu.push(a.recordCount / cpuSeconds(cpu));

      t = performance.now();
      cpu = process.cpuUsage();
      const b = await ingestDataset({
        source: stream(),
        container: 'jsonl',
        mode: 'strict',
        store,
        redact: true,
      });
      redacted.push(b.recordCount / ((performance.now() - t) / 1000));
      redactedCpu.push(b.recordCount / cpuSeconds(cpu));
      if (a.recordCount !== records || b.recordCount !== records) {
        throw new Error(
          `ingested ${a.recordCount}/${b.recordCount} of ${records} records: the generator made duplicates`,
        );
      }
    }
  } finally {
    clearInterval(sampler);
    await rm(root, { recursive: true, force: true });
  }

  const corpus = redactionCorpus(redactMb);
  const corpusBytes = corpus.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  const redactRates: number[] = [];
  const redactCpuRates: number[] = [];
  let found = 0;
  for (let run = 0; run < runs; run++) {
    const counts: PiiCounts = {};
    const t = performance.now();
    const cpu = process.cpuUsage();
    for (const line of corpus) redactText(line, counts);
    redactRates.push(corpusBytes / 1e6 / ((performance.now() - t) / 1000));
    redactCpuRates.push(corpusBytes / 1e6 / cpuSeconds(cpu));
    found = Object.values(counts).reduce((x, y) => x + y, 0);
  }

  const mbPerRecord = bytes / 1e6 / records;
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return {
    name: 'data',
    backend: 'node',
    inputs: {
      records,
      runs,
      inputMegabytes: round(bytes / 1e6),
      redactionMegabytes: round(corpusBytes / 1e6),
      piiFound: found,
    },
    metrics: {
      ...withSpread('ingest_records_per_s', plain),
      ingest_mb_per_s: round(median(plain) * mbPerRecord),
      ...withSpread('ingest_redacted_records_per_s', redacted),
      ingest_redacted_mb_per_s: round(median(redacted) * mbPerRecord),
      ...withSpread('baseline_parse_only_records_per_s', baseline),
      ...withSpread('redaction_mb_per_s', redactRates),
      ...withSpread('ingest_records_per_cpu_s', plainCpu),
      ...withSpread('ingest_redacted_records_per_cpu_s', redactedCpu),
      ...withSpread('redaction_mb_per_cpu_s', redactCpuRates),
      peak_rss_mb: round(peakRss / 2 ** 20),
    },
    goals: [
      `ingest >= 50,000 records/s (validation + hashing): ${median(plain) >= 50_000 ? 'yes' : 'no'} (${Math.round(median(plain))})`,
      `redaction >= 20 MB/s: ${median(redactRates) >= 20 ? 'yes' : 'no'} (${round(median(redactRates))})`,
      `per CPU-second (less sensitive to shared cores): ingest ${Math.round(median(plainCpu))} records, with redaction ${Math.round(median(redactedCpu))} records, redaction ${round(median(redactCpuRates))} MB`,
    ],
  };
}
