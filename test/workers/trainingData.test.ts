import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../../src/data/index.js';
import { packTar, selectRecords, toTrainingRecord, unpackTar } from '../../src/workers/index.js';
import { batchOrder, prepareStageRecords, stageSteps } from '../../src/workers/training/trainingData.js';
import { capitalRecords } from './support.js';

const general: DatasetRecord = {
  messages: [
    { role: 'user', content: 'Say hi.' },
    { role: 'assistant', content: 'Hi.' },
    { role: 'user', content: 'Again.' },
    { role: 'assistant', content: 'Hi again.' },
  ],
};

describe('training data', () => {
  it('turns a conversation into instruction, history and answer', () => {
    expect(toTrainingRecord(general)).toEqual({
      instruction: 'Again.',
      output: 'Hi again.',
      history: [['Say hi.', 'Hi.']],
    });
    expect(toTrainingRecord(capitalRecords()[0]!)).toEqual({
      system: 'Answer.',
      instruction: 'Capital of France?',
      output: 'Paris.',
    });
    expect(toTrainingRecord({ messages: [{ role: 'user', content: 'no answer' }] })).toBeUndefined();
  });

  it('selects stage records by filter', () => {
    const records = [general, ...capitalRecords()];
    expect(selectRecords(records, 'domain')).toHaveLength(4);
    expect(selectRecords(records, 'general')).toEqual([general]);
    expect(selectRecords(records, undefined)).toHaveLength(5);
    expect(selectRecords(records, 'template:capital')).toHaveLength(4);
    expect(selectRecords(records, 'contains:Peru')).toHaveLength(1);
    // A dataset without entity spans still has a domain stage: all of it.
    expect(selectRecords([general], 'domain')).toEqual([general]);
    expect(() => selectRecords(records, 'medical')).toThrow(/unknown stage datasetFilter "medical"/);
  });

  it('adds one seeded noisy variant per record in a robustness stage, answers unchanged', () => {
    const options = { lexiconTerms: ['Lima'], seed: 3, stageIndex: 2 };
    const noisy = prepareStageRecords(capitalRecords(), { noise: 0.1 }, options);
    expect(noisy).toHaveLength(8);
    for (let i = 0; i < 4; i++) {
      expect(noisy[2 * i + 1]!.record.output).toBe(noisy[2 * i]!.record.output);
      expect(noisy[2 * i + 1]!.record.instruction).not.toBe(noisy[2 * i]!.record.instruction);
    }
    expect(prepareStageRecords(capitalRecords(), { noise: 0.1 }, options)).toEqual(noisy);
    expect(noisy[0]!.entityTerms).toEqual(['Paris', 'Lima']);
    expect(prepareStageRecords(capitalRecords(), {}, options)).toHaveLength(4);
  });

  it('orders batches by seeded epochs: every example once per epoch, the same order on resume', () => {
    const order = batchOrder(5, 2, stageSteps(5, 2, 2), 7, 0);
    expect(order).toHaveLength(5);
    const flat = order.flat();
    expect([...flat.slice(0, 5)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...flat.slice(5, 10)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(batchOrder(5, 2, 5, 7, 0)).toEqual(order);
    expect(batchOrder(5, 2, 5, 8, 0)).not.toEqual(order);
    expect(stageSteps(4, 32, 1)).toBe(1);
  });
});

describe('tar archives', () => {
  it('writes archives the system tar reads, and reads archives it writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-'));
    const big = new Uint8Array(1500).map((_, i) => i % 251);
    const archive = packTar([
      { name: 'adapter_config.json', data: Buffer.from('{"r":8}\n') },
      { name: 'adapter_model.safetensors', data: big },
    ]);
    writeFileSync(join(dir, 'a.tar'), archive);
    expect(
      execFileSync('tar', ['-tf', join(dir, 'a.tar')], { encoding: 'utf8' })
        .trim()
        .split('\n'),
    ).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
    expect(readFileSync(join(dir, 'adapter_config.json'), 'utf8')).toBe('{"r":8}\n');
    expect(new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors')))).toEqual(big);

    writeFileSync(join(dir, 'x.bin'), big);
    execFileSync('tar', [
      '--format=ustar',
      '-cf',
      join(dir, 'b.tar'),
      '-C',
      dir,
      'x.bin',
      'adapter_config.json',
    ]);
    const files = unpackTar(readFileSync(join(dir, 'b.tar')));
    expect(new Uint8Array(files.get('x.bin')!)).toEqual(big);
    expect(files.get('adapter_config.json')!.toString()).toBe('{"r":8}\n');
  });
});
