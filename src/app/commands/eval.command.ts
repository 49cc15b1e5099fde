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
import type { RegisterCommand } from './index.js';

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
};
