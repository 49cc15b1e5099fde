/** Reading evaluation records from JSONL, with errors that point at the file and line. */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/** Parses one JSON object per non-empty line and validates it; throws `file:line: what is wrong`. */
export function parseJsonlWith<T>(
  text: string,
  schema: z.ZodType<T>,
  fileName: string,
  expected: string,
): { line: number; value: T }[] {
  const out: { line: number; value: T }[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(
        `${fileName}:${line}: not valid JSON (${(error as Error).message}); each line must be one JSON object`,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const problem = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`)
        .join('; ');
      throw new Error(`${fileName}:${line}: ${problem}; expected ${expected}`);
    }
    out.push({ line, value: parsed.data });
  });
  return out;
}

export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}
