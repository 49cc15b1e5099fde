import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { PII_KINDS, PII_PLACEHOLDERS, redactText, type PiiCounts } from '../../data/index.js';
import type { RegisterCommand } from './registerCommand.js';

export const registerRedactCommand: RegisterCommand = (program: Command) => {
  program
    .command('redact')
    .description(
      'Read UTF-8 text on stdin and write it to stdout line for line with PII replaced by typed placeholders ' +
        `(${[...new Set(Object.values(PII_PLACEHOLDERS))].join(' ')}). Try the redaction policy on your own text.`,
    )
    .option('--report', 'print the counts by kind as JSON on stderr at the end')
    .addHelpText(
      'after',
      `\nKinds: ${PII_KINDS.join(', ')}.\nExample: echo "mail li.na@example.com" | tuneledger redact --report`,
    )
    .action(async (options: { report?: boolean }) => {
      const counts: PiiCounts = {};
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      let buffer = '';
      for await (const line of lines) {
        buffer += `${redactText(line, counts)}\n`;
        // Batched writes: one per ~64 KiB, waiting when stdout is slower than the input.
        if (buffer.length >= 65536) {
          if (!process.stdout.write(buffer))
            await new Promise((resolve) => process.stdout.once('drain', resolve));
          buffer = '';
        }
      }
      if (buffer) process.stdout.write(buffer);
      if (options.report) process.stderr.write(`${JSON.stringify(counts)}\n`);
    });
};
