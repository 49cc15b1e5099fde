import type { z } from 'zod';

/** One thing wrong with one input record, precise enough for a person to fix the file. */
export interface ValidationIssue {
  /** 1-based line of the input file where the record starts (CSV: where it ends). */
  readonly line: number;
  /** Dotted path of the offending field, e.g. `conversations.2.from`; `(record)` for the whole record. */
  readonly field: string;
  readonly problem: string;
  readonly expected: string;
}

export function issuesFromZod(line: number, error: z.ZodError, value: unknown): ValidationIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(record)';
    const missing = issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined;
    return {
      line,
      field,
      problem: missing ? 'is missing' : issue.message,
      expected: expectedOf(issue),
    };
  });
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
    case 'too_small':
      return `at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'characters' : 'items'}`;
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return issue.message;
  }
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}
