import type { DatasetFormat, DatasetRecord, Message } from './datasetRecord.js';
import {
  alpacaSchema,
  isAssistant,
  openaiMessagesSchema,
  preferenceSchema,
  sharegptSchema,
} from './formatSchemas.js';
import { issuesFromZod, type ValidationIssue } from './validationIssue.js';

export type NormaliseResult = { ok: true; record: DatasetRecord } | { ok: false; issues: ValidationIssue[] };

/** Validates one parsed input value of the given format and turns it into the internal record shape. */
export function normaliseRecord(format: DatasetFormat, value: unknown, line: number): NormaliseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      issues: [{ line, field: '(record)', problem: `is ${describe(value)}`, expected: `a ${format} object` }],
    };
  }
  switch (format) {
    case 'alpaca': {
      const parsed = alpacaSchema.safeParse(value);
      if (!parsed.success) return { ok: false, issues: issuesFromZod(line, parsed.error, value) };
      const { instruction, input, output, system, history } = parsed.data;
      const messages: Message[] = [];
      if (system) messages.push({ role: 'system', content: system });
      for (const [user, assistant] of history ?? []) {
        messages.push({ role: 'user', content: user }, { role: 'assistant', content: assistant });
      }
      messages.push({ role: 'user', content: input ? `${instruction}\n\n${input}` : instruction });
      messages.push({ role: 'assistant', content: output });
      return { ok: true, record: { messages } };
    }
    case 'sharegpt': {
      const parsed = sharegptSchema.safeParse(value);
      if (!parsed.success) return { ok: false, issues: issuesFromZod(line, parsed.error, value) };
      const messages: Message[] = [];
      if (parsed.data.system) messages.push({ role: 'system', content: parsed.data.system });
      for (const turn of parsed.data.conversations) {
        const role = turn.from === 'system' ? 'system' : isAssistant(turn.from) ? 'assistant' : 'user';
        messages.push({ role, content: turn.value });
      }
      return { ok: true, record: { messages } };
    }
    case 'openai-messages': {
      const parsed = openaiMessagesSchema.safeParse(value);
      if (!parsed.success) return { ok: false, issues: issuesFromZod(line, parsed.error, value) };
      return {
        ok: true,
        record: { messages: parsed.data.messages.map(({ role, content }) => ({ role, content })) },
      };
    }
    case 'preference': {
      const parsed = preferenceSchema.safeParse(value);
      if (!parsed.success) return { ok: false, issues: issuesFromZod(line, parsed.error, value) };
      const { prompt, chosen, rejected, system } = parsed.data;
      const messages: Message[] = system
        ? [
            { role: 'system', content: system },
            { role: 'user', content: prompt },
          ]
        : [{ role: 'user', content: prompt }];
      return { ok: true, record: { messages, chosen, rejected } };
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
