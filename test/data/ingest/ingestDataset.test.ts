import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetValidationError,
  EmptyDatasetError,
  ingestDataset,
  MAX_RECORD_BYTES,
  LocalArtifactStore,
  parsePiiPolicy,
  PiiPolicyError,
  pseudonymFor,
  readCanonicalRecords,
  resolvePiiPolicy,
  type DatasetRecord,
} from '../../../src/data/index.js';

const root = await mkdtemp(join(tmpdir(), 'tl-ingest-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const store = new LocalArtifactStore(join(root, 'store'));

const rows = [
  {
    instruction: 'Translate the following sentence into French, output only the translation.',
    input: 'Good morning',
    output: 'Bonjour',
  },
  { instruction: '用Python实现快速排序,输入为整数列表,输出为升序列表', input: '', output: 'def qs(a): ...' },
  {
    instruction: 'Summarise the text below in one sentence.',
    input: 'Call 138 1234 5678 or mail li.na@example.com today.',
    output: 'Contact details.',
  },
];

async function file(name: string, text: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, text);
  return path;
}

async function records(hash: string): Promise<DatasetRecord[]> {
  const out: DatasetRecord[] = [];
  for await (const r of readCanonicalRecords(store, hash)) out.push(r);
  return out;
}

async function readCanonicalRecordsText(hash: string): Promise<string> {
  return JSON.stringify(await records(hash));
}

describe('ingestDataset', () => {
  it('gives the same content hash for JSONL, pretty JSON with other key order, CSV and a stream', async () => {
    const jsonl = await file('a.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const reordered = rows.map((r) => ({ output: r.output, input: r.input, instruction: r.instruction }));
    const json = await file('a.json', JSON.stringify(reordered, null, 4));
    const csvText =
      'instruction,input,output\n' +
      rows
        .map((r) => [r.instruction, r.input, r.output].map((c) => `"${c.replace(/"/g, '""')}"`).join(','))
        .join('\r\n');
    const csv = await file('a.csv', csvText);
    // Three records: too few for an eval split of the default fraction; accepted explicitly.
    const base = { mode: 'strict' as const, store, allowSmallEvalSplit: true };
    const a = await ingestDataset({ ...base, source: jsonl });
    const b = await ingestDataset({ ...base, source: json });
    const c = await ingestDataset({ ...base, source: csv });
    const d = await ingestDataset({ ...base, source: Readable.from([JSON.stringify(rows, null, 1)]) });
    expect(a.format).toBe('alpaca');
    expect([b.container, c.container, d.container]).toEqual(['json', 'csv', 'json']);
    expect(new Set([a.contentHash, b.contentHash, c.contentHash, d.contentHash]).size).toBe(1);
    expect(a.recordCount).toBe(3);
    // The hash is the sha256 of the stored canonical bytes.
    expect(
      createHash('sha256')
        .update(await store.get(a.contentHash))
        .digest('hex'),
    ).toBe(a.contentHash);
    expect(a.splits.train.recordCount + a.splits.eval.recordCount).toBe(3);
  });

  it('redacts PII before storing and counts it by kind', async () => {
    const path = await file('pii.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    const facts = await ingestDataset({ source: path, mode: 'strict', store, allowSmallEvalSplit: true });
    expect(facts.piiReport).toEqual({
      counts: { phone: 1, email: 1 },
      total: 2,
      recordsWithPii: 1,
      policy: resolvePiiPolicy({}),
    });
    const stored = (await store.get(facts.contentHash)).toString('utf8');
    expect(stored).not.toContain('138 1234 5678');
    expect(stored).not.toContain('li.na@example.com');
    expect(stored).toContain('Call [PHONE] or mail [EMAIL] today.');
    const unredacted = await ingestDataset({
      source: path,
      mode: 'strict',
      store,
      redact: false,
      allowSmallEvalSplit: true,
    });
    expect(unredacted.piiReport.total).toBe(0);
  });

  it('applies a PII policy per kind and records it in the report', async () => {
    const path = await file('pii-policy.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    const facts = await ingestDataset({
      source: path,
      mode: 'strict',
      store,
      piiPolicy: parsePiiPolicy('phone=pseudonymise,email=keep'),
      piiKey: 'dataset-salt-0123456789',
      allowSmallEvalSplit: true,
    });
    expect(facts.piiReport.counts).toEqual({ phone: 1, email: 1 });
    expect(facts.piiReport.policy).toMatchObject({
      phone: 'pseudonymise',
      email: 'keep',
      passport: 'redact',
    });
    const stored = (await store.get(facts.contentHash)).toString('utf8');
    expect(stored).toContain(
      `Call ${pseudonymFor('phone', '138 1234 5678', 'dataset-salt-0123456789')} or mail li.na@example.com today.`,
    );
    expect(stored).not.toContain('138 1234 5678');
  });

  it('refuses a policy that pseudonymises without a key before reading or storing anything', async () => {
    const path = await file('pii-nokey.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    const before = await readdir(join(root, 'store', 'sha256')).catch(() => []);
    const error = await ingestDataset({
      source: path,
      mode: 'strict',
      store,
      piiPolicy: { phone: 'pseudonymise' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PiiPolicyError);
    expect((error as PiiPolicyError).code).toBe('PII_KEY_MISSING');
    expect(await readdir(join(root, 'store', 'sha256')).catch(() => [])).toEqual(before);
  });

  it('strict mode lists every invalid line and stores nothing', async () => {
    const text = [
      JSON.stringify(rows[0]),
      '{"instruction": "no output"}',
      'not json',
      JSON.stringify({ instruction: 5, output: 'x' }),
    ].join('\n');
    const path = await file('bad.jsonl', text);
    const before = await readdir(join(root, 'store', 'sha256')).catch(() => []);
    const error = await ingestDataset({ source: path, mode: 'strict', store, format: 'alpaca' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatasetValidationError);
    const v = error as DatasetValidationError;
    expect(v.invalidRecords).toBe(3);
    expect(v.issues.map((i) => [i.line, i.field])).toEqual([
      [2, 'output'],
      [3, '(record)'],
      [4, 'instruction'],
    ]);
    expect(v.message).toContain('line 2, output: is missing');
    expect(await readdir(join(root, 'store', 'tmp'))).toEqual([]);
    expect(await readdir(join(root, 'store', 'sha256')).catch(() => [])).toEqual(before);
  });

  it('refuses an empty or whitespace-only file, even with its format given, and stores nothing', async () => {
    const before = await readdir(join(root, 'store', 'sha256')).catch(() => []);
    for (const [name, text] of [
      ['empty.jsonl', ''],
      ['blank.jsonl', '  \n\t\n\n'],
    ]) {
      const path = await file(name!, text!);
      const error = await ingestDataset({ source: path, mode: 'strict', store, format: 'alpaca' }).catch(
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(EmptyDatasetError);
      expect((error as EmptyDatasetError).code).toBe('EMPTY_DATASET');
    }
    const stream = await ingestDataset({
      source: Readable.from(['   ']),
      mode: 'lenient',
      store,
      format: 'alpaca',
    }).catch((e: unknown) => e);
    expect(stream).toBeInstanceOf(EmptyDatasetError);
    // Lenient mode with every line invalid leaves nothing to record either.
    const allBad = await file('all-bad.jsonl', '{"instruction": ""}\nnot json\n');
    const lenient = await ingestDataset({ source: allBad, mode: 'lenient', store, format: 'alpaca' }).catch(
      (e: unknown) => e,
    );
    expect(lenient).toBeInstanceOf(EmptyDatasetError);
    expect(await readdir(join(root, 'store', 'sha256')).catch(() => [])).toEqual(before);
  });

  it('refuses invalid UTF-8 in strict mode with its line and byte offset; lenient mode drops and counts the line', async () => {
    const good = Buffer.from(JSON.stringify(rows[0]) + '\n');
    const bad = Buffer.concat([
      Buffer.from('{"instruction": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('", "output": "x"}\n'),
    ]);
    const path = join(root, 'latin1.jsonl');
    await writeFile(path, Buffer.concat([good, bad, Buffer.from(JSON.stringify(rows[1]) + '\n')]));
    const error = await ingestDataset({ source: path, mode: 'strict', store }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetValidationError);
    const issue = (error as DatasetValidationError).issues[0]!;
    expect(issue.line).toBe(2);
    expect(issue.problem).toContain('not valid UTF-8');
    expect(issue.problem).toContain(`byte offset ${good.length + 20}`);
    const facts = await ingestDataset({ source: path, mode: 'lenient', store, allowSmallEvalSplit: true });
    expect(facts.recordCount).toBe(2);
    expect(facts.qualityReport.rejected.records).toBe(1);
    expect(facts.qualityReport.rejected.issues[0]).toMatchObject({ line: 2 });
    expect(facts.qualityReport.linesRead).toBe(3);
    const records = await readCanonicalRecordsText(facts.contentHash);
    expect(records).not.toContain('\uFFFD');
  });

  it('refuses a record over the record limit without holding it in memory', async () => {
    const huge = JSON.stringify({ instruction: 'Repeat this.', output: 'x'.repeat(MAX_RECORD_BYTES + 10) });
    const path = await file(
      'huge.jsonl',
      [JSON.stringify(rows[0]), huge, JSON.stringify(rows[1])].join('\n'),
    );
    const error = await ingestDataset({ source: path, mode: 'strict', store }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetValidationError);
    expect((error as DatasetValidationError).issues).toEqual([
      expect.objectContaining({
        line: 2,
        problem: `is longer than the record limit of ${MAX_RECORD_BYTES} bytes`,
      }),
    ]);
    const facts = await ingestDataset({ source: path, mode: 'lenient', store, allowSmallEvalSplit: true });
    expect(facts.recordCount).toBe(2);
    expect(facts.qualityReport.rejected.records).toBe(1);
  });

  it('reports broken CSV quoting as an issue instead of hanging', async () => {
    const path = await file(
      'broken.csv',
      'instruction,input,output\n"Sort these numbers, output a list","3 1 2","1 2 3"\n"unclosed,x,y\n',
    );
    const error = await ingestDataset({ source: path, mode: 'strict', store }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetValidationError);
    expect((error as DatasetValidationError).issues[0]!.problem).toMatch(/not valid CSV/);
  });

  it('lenient mode keeps valid records and reports rejected ones', async () => {
    const path = await file(
      'mixed.jsonl',
      [JSON.stringify(rows[0]), '{"instruction": ""}', JSON.stringify(rows[1])].join('\n'),
    );
    const facts = await ingestDataset({ source: path, mode: 'lenient', store, allowSmallEvalSplit: true });
    expect(facts.recordCount).toBe(2);
    expect(facts.qualityReport.rejected.records).toBe(1);
    expect(facts.qualityReport.rejected.issues.map((i) => i.field).sort()).toEqual(['instruction', 'output']);
    expect(facts.qualityReport.linesRead).toBe(3);
  });

  it('drops exact and near duplicates, filters by quality, and reports the score distribution', async () => {
    const data = [
      { instruction: 'Explain recursion to a child in three sentences.', output: 'a' },
      { instruction: 'explain   recursion to a child in three sentences!', output: 'b' },
      { instruction: 'Explain recursion to a child in three short sentences.', output: 'c' },
      { instruction: 'hi', output: 'd' },
    ];
    const path = await file('dups.jsonl', data.map((r) => JSON.stringify(r)).join('\n'));
    const exact = await ingestDataset({
      source: path,
      mode: 'strict',
      store,
      dedup: 'exact',
      allowSmallEvalSplit: true,
    });
    expect(exact.qualityReport.duplicates).toEqual({ exact: 1, near: 0 });
    expect(exact.recordCount).toBe(3);
    const near = await ingestDataset({
      source: path,
      mode: 'strict',
      store,
      dedup: { mode: 'near', threshold: 0.6 },
      allowSmallEvalSplit: true,
    });
    expect(near.qualityReport.duplicates).toEqual({ exact: 1, near: 1 });
    const filtered = await ingestDataset({
      source: path,
      mode: 'strict',
      store,
      dedup: 'none',
      minQuality: 2,
      allowSmallEvalSplit: true,
    });
    expect(filtered.qualityReport.belowMinQuality).toBe(1);
    expect(filtered.recordCount).toBe(3);
    const q = exact.qualityReport.instructionQuality;
    expect(q.distribution.reduce((a, b) => a + b, 0)).toBe(3);
    expect(q.distribution[0]).toBe(1);
  });

  it('splits by seed stably: records keep their split when others are added', async () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      instruction: `Compute ${i} squared and output a number.`,
      output: String(i * i),
    }));
    const small = await file(
      's.jsonl',
      many
        .slice(0, 200)
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const large = await file('l.jsonl', many.map((r) => JSON.stringify(r)).join('\n'));
    const split = { evalFraction: 0.25, seed: 7 };
    const a = await ingestDataset({ source: small, mode: 'strict', store, split });
    const b = await ingestDataset({ source: large, mode: 'strict', store, split });
    const evalA = (await records(a.splits.eval.hash)).map((r) => JSON.stringify(r));
    const evalB = new Set((await records(b.splits.eval.hash)).map((r) => JSON.stringify(r)));
    expect(evalA.every((r) => evalB.has(r))).toBe(true);
    expect(b.splits.eval.recordCount / b.recordCount).toBeGreaterThan(0.17);
    expect(b.splits.eval.recordCount / b.recordCount).toBeLessThan(0.33);
    const other = await ingestDataset({ source: small, mode: 'strict', store, split: { ...split, seed: 8 } });
    expect(other.splits.eval.hash).not.toBe(a.splits.eval.hash);
    const again = await ingestDataset({ source: small, mode: 'strict', store, split });
    expect(again.splits).toEqual(a.splits);
  });

  it('ingests sharegpt, openai-messages and preference files', async () => {
    const share = await file(
      's.jsonl',
      JSON.stringify({
        conversations: [
          { from: 'human', value: 'Q?' },
          { from: 'gpt', value: 'A' },
        ],
      }),
    );
    const openai = await file(
      'o.jsonl',
      JSON.stringify({
        messages: [
          { role: 'user', content: 'Q?' },
          { role: 'assistant', content: 'A' },
        ],
      }),
    );
    const pref = await file('p.csv', 'prompt,chosen,rejected\nWhich is larger?,two,one\n');
    const one = { mode: 'strict' as const, store, allowSmallEvalSplit: true };
    const s = await ingestDataset({ ...one, source: share });
    const o = await ingestDataset({ ...one, source: openai });
    const p = await ingestDataset({ ...one, source: pref });
    expect([s.format, o.format, p.format]).toEqual(['sharegpt', 'openai-messages', 'preference']);
    expect(s.contentHash).toBe(o.contentHash);
    expect(await records(p.contentHash)).toEqual([
      { messages: [{ role: 'user', content: 'Which is larger?' }], chosen: 'two', rejected: 'one' },
    ]);
  });
});

describe('ingestDataset errors', () => {
  it('names a missing file and what to check', async () => {
    await expect(ingestDataset({ source: join(root, 'nope.jsonl'), mode: 'strict', store })).rejects.toThrow(
      /cannot read dataset file .*nope\.jsonl \(ENOENT\)/,
    );
  });
});
