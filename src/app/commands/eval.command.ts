import type { Command } from 'commander';
import {
  evaluatePredictions,
  gateThresholdsSchema,
  gateVerdict,
  readEvaluationRecords,
  scoreFile,
  writePredictionsFile,
  GATE_METRICS,
} from '../../ml/eval/index.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateGate, gateThreshold, type GateThreshold } from '../../domain/index.js';
import { PROMPT_FORMAT_NAMES } from '../../ml/prompts/index.js';
import { evaluateModel, parseEvaluationExamples, parseNoiseTypes } from '../../workers/evaluation/index.js';
import type { RegisterCommand } from './registerCommand.js';

function parseThresholds(text: string) {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`--gate must be a JSON object such as '{"f1":0.6}'; got ${text}`);
  }
  const parsed = gateThresholdsSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `--gate: ${parsed.error.issues.map((issue) => issue.message).join('; ')}; metrics are ${GATE_METRICS.join(', ')} (values 0..1)`,
    );
  }
  return parsed.data;
}

/** `--gate` of `eval run`: minimums {"f1": 0.6} or gate lines [{"metric", "op": "gte"|"lte", "value"}]. */
function parseGateLines(text: string): GateThreshold[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      `--gate must be JSON such as '{"f1":0.6}' or '[{"metric":"robustnessDelta","op":"lte","value":0.1}]'; got ${text}`,
    );
  }
  const lines = Array.isArray(value)
    ? value
    : Object.entries(value as Record<string, unknown>).map(([metric, v]) => ({
        metric,
        op: 'gte',
        value: v,
      }));
  return lines.map((line, i) => {
    const parsed = gateThreshold.safeParse(line);
    if (!parsed.success) {
      throw new Error(
        `--gate line ${i + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`,
      );
    }
    return parsed.data;
  });
}

function positiveInteger(text: string, what: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new Error(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} integer; got ${text}`);
  }
  return n;
}

export const registerEvalCommand: RegisterCommand = (program: Command) => {
  const evalCommand = program
    .command('eval')
    .description('Evaluate model outputs: exact match, F1, instruction following, error taxonomy');

  evalCommand
    .command('score')
    .argument(
      '<file>',
      'JSONL, one {"prediction": string, "references": string[], "lang"?: "zh"|"en"} per line',
    )
    .description(
      'Print per-record and overall exact match and F1 as JSON (fractions 0..1; the official scripts print x100). ' +
        'English uses SQuAD v2.0 rules, Chinese the CMRC 2018 rules; the language is detected from the references unless "lang" is given.',
    )
    .option('--overall-only', 'print only the overall scores')
    .action(async (file: string, options: { overallOnly?: boolean }) => {
      const result = await scoreFile(file);
      const output = options.overallOnly ? { overall: result.overall } : result;
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    });

  evalCommand
    .command('metrics')
    .argument(
      '<file>',
      'JSONL evaluation records {id, instruction, input?, references, prediction, constraints?, category?, lang?, finishReason?}',
    )
    .description(
      'Run the full metric suite on stored predictions and print the metrics (and the gate verdict) as JSON',
    )
    .option(
      '--gate <json>',
      `minimum thresholds, e.g. '{"f1":0.6,"ifStrictPrompt":0.5}' (metrics: ${GATE_METRICS.join(', ')})`,
    )
    .option(
      '--predictions <file>',
      'also write the predictions file (JSONL: input, reference, output, scores, category)',
    )
    .option('--partial-f1 <n>', 'F1 at or above which a wrong answer counts as partially correct', '0.5')
    .option('--with-records', 'include per-record scores in the output')
    .action(
      async (
        file: string,
        options: { gate?: string; predictions?: string; partialF1: string; withRecords?: boolean },
      ) => {
        const partialF1Threshold = Number(options.partialF1);
        if (!Number.isFinite(partialF1Threshold) || partialF1Threshold < 0 || partialF1Threshold > 1) {
          throw new Error(`--partial-f1 must be a number between 0 and 1; got ${options.partialF1}`);
        }
        const thresholds = options.gate === undefined ? undefined : parseThresholds(options.gate);
        const records = await readEvaluationRecords(file);
        const metrics = evaluatePredictions(records, { partialF1Threshold });
        if (options.predictions) await writePredictionsFile(options.predictions, records, metrics);
        const { records: perRecord, ...summary } = metrics;
        const gate = thresholds === undefined ? undefined : gateVerdict(metrics, thresholds);
        const output = {
          ...summary,
          ...(options.withRecords ? { records: perRecord } : {}),
          ...(gate ? { gate } : {}),
        };
        process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
        if (gate && !gate.passed) process.exitCode = 3;
      },
    );

  evalCommand
    .command('run')
    .description(
      'Evaluate a local model without the server: generate an answer for every example (greedy), score it, ' +
        're-ask noisy variants (robustness), classify errors, draw attention heatmaps, and write ' +
        'predictions.jsonl, report.json and heatmap-*.svg/png/json into --out. Prints the metrics as JSON; exit code 3 when --gate fails.',
    )
    .requiredOption('--model <dir>', 'model directory (config.json, *.safetensors, tokenizer)')
    .option('--adapter <dir>', 'PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors)')
    .requiredOption(
      '--dataset <file>',
      'JSONL: {"instruction", "input"?, "references": [...], "constraints"?, "category"?, "lang"?, "id"?} or canonical records {"messages": [...]}',
    )
    .option(
      '--prompt-format <name>',
      `prompt format the model was trained with (${PROMPT_FORMAT_NAMES.join(', ')})`,
      'alpaca',
    )
    .option('--max-tokens <n>', 'new tokens per answer', '64')
    .option(
      '--noise <types>',
      'robustness noise types: injection,typos,distractor,reorder, all, or none',
      'none',
    )
    .option('--heatmaps <n>', 'examples with attention heatmaps', '2')
    .option('--seed <n>', 'seed of the noisy variants', '0')
    .option(
      '--gate <json>',
      `thresholds: '{"f1":0.6}' (minimums) or '[{"metric":"robustnessDelta","op":"lte","value":0.1}]'`,
    )
    .option('--out <dir>', 'where to write predictions.jsonl, report.json and the heatmaps')
    .action(
      async (options: {
        model: string;
        adapter?: string;
        dataset: string;
        promptFormat: string;
        maxTokens: string;
        noise: string;
        heatmaps: string;
        seed: string;
        gate?: string;
        out?: string;
      }) => {
        const gate = options.gate === undefined ? undefined : parseGateLines(options.gate);
        let text: string;
        try {
          text = readFileSync(options.dataset, 'utf8');
        } catch (error) {
          throw new Error(`--dataset ${options.dataset} cannot be read (${(error as Error).message})`);
        }
        const examples = parseEvaluationExamples(text, options.dataset);
        const showProgress = process.stderr.isTTY;
        const outcome = await evaluateModel({
          modelDir: options.model,
          ...(options.adapter ? { adapterDir: options.adapter } : {}),
          examples,
          promptFormat: options.promptFormat,
          maxTokens: positiveInteger(options.maxTokens, '--max-tokens'),
          noiseTypes: options.noise === 'none' ? [] : parseNoiseTypes(options.noise),
          heatmapExamples: positiveInteger(options.heatmaps, '--heatmaps', true),
          seed: positiveInteger(options.seed, '--seed', true),
          ...(showProgress
            ? {
                onProgress: (done: number, total: number) =>
                  process.stderr.write(`\ranswered ${done}/${total}`),
              }
            : {}),
        });
        if (showProgress) process.stderr.write('\n');
        if (options.out) {
          mkdirSync(options.out, { recursive: true });
          writeFileSync(join(options.out, 'predictions.jsonl'), outcome.predictionsJsonl);
          writeFileSync(join(options.out, 'report.json'), outcome.reportJson);
          for (const file of outcome.heatmaps) writeFileSync(join(options.out, file.name), file.data);
        }
        const verdict = gate ? evaluateGate(gate, outcome.metrics) : undefined;
        const output = {
          metrics: outcome.metrics,
          categories: outcome.categories,
          errorTaxonomy: outcome.errorTaxonomy,
          ...(verdict ? { gate: verdict } : {}),
          ...(options.out ? { out: options.out } : {}),
        };
        process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
        if (verdict && !verdict.passed) process.exitCode = 3;
      },
    );
};
