/**
 * An optional LLM judge over any OpenAI-compatible `/chat/completions` endpoint. The judge is
 * asked for JSON `{score, reason}`; replies that are not that shape are counted as malformed and
 * HTTP or network failures as errors — a flaky judge never stops an evaluation.
 */
import { z } from 'zod';

export const judgeConfigSchema = z.object({
  /** Base URL up to and including `/v1`, e.g. http://localhost:8000/v1 */
  url: z.string().url(),
  model: z.string().min(1),
  apiKey: z.string().optional(),
  /** Scores are expected in [minScore, maxScore]; outside is malformed. */
  minScore: z.number().default(1),
  maxScore: z.number().default(10),
  timeoutMs: z.number().int().positive().default(30_000),
  concurrency: z.number().int().positive().default(4),
  rubric: z.string().optional(),
});

export type JudgeConfig = z.input<typeof judgeConfigSchema>;

export const DEFAULT_RUBRIC = [
  'You are a strict grader of answers to instructions. Judge the response for correctness against the',
  'reference (if given), faithfulness to the input (no invented names or numbers), and whether it follows',
  'the instruction. Reply with only a JSON object: {"score": <integer {min}-{max}>, "reason": "<one sentence>"}.',
].join(' ');

export interface JudgeItem {
  readonly id: string;
  readonly instruction: string;
  readonly input?: string;
  readonly references: readonly string[];
  readonly prediction: string;
}

export type JudgeVerdict =
  | { readonly id: string; readonly status: 'ok'; readonly score: number; readonly reason: string }
  | { readonly id: string; readonly status: 'malformed'; readonly raw: string }
  | { readonly id: string; readonly status: 'error'; readonly error: string };

export interface JudgeSummary {
  readonly judged: number;
  readonly malformed: number;
  readonly errors: number;
  /** Mean over well-formed verdicts; null when there is none. */
  readonly meanScore: number | null;
  readonly verdicts: readonly JudgeVerdict[];
}

const replySchema = z.object({ score: z.coerce.number(), reason: z.string().default('') });

/** Pulls `{score, reason}` out of a reply that may wrap JSON in prose or a code fence. */
export function parseJudgeReply(
  content: string,
  minScore: number,
  maxScore: number,
): { score: number; reason: string } | undefined {
  const candidates = [content.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(content);
  if (fenced) candidates.push(fenced[1]!.trim());
  const braces = /\{[\s\S]*\}/.exec(content);
  if (braces) candidates.push(braces[0]);
  for (const candidate of candidates) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    const parsed = replySchema.safeParse(value);
    if (
      parsed.success &&
      Number.isFinite(parsed.data.score) &&
      parsed.data.score >= minScore &&
      parsed.data.score <= maxScore
    ) {
      return parsed.data;
    }
  }
  return undefined;
}

function buildMessages(item: JudgeItem, rubric: string): { role: string; content: string }[] {
  const user = [
    `Instruction:\n${item.instruction}`,
    item.input ? `Input:\n${item.input}` : '',
    item.references.length > 0 ? `Reference answer(s):\n${item.references.join('\n---\n')}` : '',
    `Response to grade:\n${item.prediction}`,
  ]
    .filter((part) => part !== '')
    .join('\n\n');
  return [
    { role: 'system', content: rubric },
    { role: 'user', content: user },
  ];
}

export async function judgeOne(item: JudgeItem, config: JudgeConfig): Promise<JudgeVerdict> {
  const settings = judgeConfigSchema.parse(config);
  const rubric = (settings.rubric ?? DEFAULT_RUBRIC)
    .replace('{min}', String(settings.minScore))
    .replace('{max}', String(settings.maxScore));
  const endpoint = `${settings.url.replace(/\/+$/, '')}/chat/completions`;
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: settings.model, temperature: 0, messages: buildMessages(item, rubric) }),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    return {
      id: item.id,
      status: 'error',
      error: `judge request to ${endpoint} failed: ${(error as Error).message}`,
    };
  }
  const body = await response.text().catch(() => '');
  if (!response.ok) {
    return {
      id: item.id,
      status: 'error',
      error: `judge ${endpoint} answered HTTP ${response.status}: ${body.slice(0, 200)}`,
    };
  }
  let content: unknown;
  try {
    content = (JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message
      ?.content;
  } catch {
    return { id: item.id, status: 'malformed', raw: body.slice(0, 500) };
  }
  if (typeof content !== 'string') return { id: item.id, status: 'malformed', raw: body.slice(0, 500) };
  const parsed = parseJudgeReply(content, settings.minScore, settings.maxScore);
  if (!parsed) return { id: item.id, status: 'malformed', raw: content.slice(0, 500) };
  return { id: item.id, status: 'ok', score: parsed.score, reason: parsed.reason };
}

export async function judgePredictions(
  items: readonly JudgeItem[],
  config: JudgeConfig,
): Promise<JudgeSummary> {
  const settings = judgeConfigSchema.parse(config);
  const verdicts = new Array<JudgeVerdict>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      verdicts[index] = await judgeOne(items[index]!, settings);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, items.length) }, worker));
  const scores = verdicts.flatMap((verdict) => (verdict.status === 'ok' ? [verdict.score] : []));
  return {
    judged: scores.length,
    malformed: verdicts.filter((verdict) => verdict.status === 'malformed').length,
    errors: verdicts.filter((verdict) => verdict.status === 'error').length,
    meanScore: scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length,
    verdicts,
  };
}
