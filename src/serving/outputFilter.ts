import { z } from 'zod';

/** A verdict on a model answer. */
export interface FilterVerdict {
  readonly blocked: boolean;
  /** The rule that blocked it (`blocklist:<word>`, `pattern:<name>`, `classifier:<name>`). */
  readonly rule?: string;
}

/**
 * A pluggable classifier (a toxicity model, a remote moderation service...). It sees the whole answer once
 * generation ended, and on a streamed answer also the text so far before each part of it is sent (one call
 * at a time: text that arrives meanwhile is judged with the next call). `classify` may be async but runs on
 * the request path, so it should be quick.
 */
export interface OutputClassifier {
  readonly name: string;
  classify(
    text: string,
  ):
    | { readonly blocked: boolean; readonly reason?: string }
    | Promise<{ readonly blocked: boolean; readonly reason?: string }>;
}

export const outputFilterConfigSchema = z.object({
  /** Words or phrases matched case-insensitively on word boundaries. */
  blocklist: z.array(z.string().min(1)).default([]),
  /** Regular expressions (source text, flags `iu`), each with a name for the metrics and the log. */
  patterns: z.array(z.object({ name: z.string().min(1), pattern: z.string().min(1) })).default([]),
  /** What the client gets instead of a blocked answer. */
  refusal: z.string().default('I can’t help with that request.'),
});
export type OutputFilterConfig = z.input<typeof outputFilterConfigSchema>;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Blocklist, patterns and classifiers over a model's answer; a blocked answer is replaced by the refusal. */
export class OutputFilter {
  readonly refusal: string;
  /** Characters a stream holds back so a blocklisted word is never half sent before it is caught. */
  readonly holdBack: number;
  private readonly rules: { readonly rule: string; readonly regex: RegExp }[];

  constructor(
    config: OutputFilterConfig = {},
    private readonly classifiers: readonly OutputClassifier[] = [],
  ) {
    const parsed = outputFilterConfigSchema.parse(config);
    this.refusal = parsed.refusal;
    this.rules = [
      ...parsed.blocklist.map((word) => ({
        rule: `blocklist:${word.toLowerCase()}`,
        regex: new RegExp(`(?<![\\p{L}\\p{N}])${escape(word)}(?![\\p{L}\\p{N}])`, 'iu'),
      })),
      ...parsed.patterns.map(({ name, pattern }) => {
        try {
          return { rule: `pattern:${name}`, regex: new RegExp(pattern, 'iu') };
        } catch (error) {
          throw new Error(
            `output filter pattern "${name}" is not a valid regular expression: ${(error as Error).message}`,
          );
        }
      }),
    ];
    this.holdBack = Math.max(0, ...parsed.blocklist.map((word) => word.length)) + 1;
  }

  /** The cheap, synchronous rules (blocklist and patterns): checked on a stream as text arrives. */
  checkRules(text: string): FilterVerdict {
    for (const { rule, regex } of this.rules) if (regex.test(text)) return { blocked: true, rule };
    return { blocked: false };
  }

  /** Whether any classifier is plugged in (a stream then waits for their verdict before sending). */
  get hasClassifiers(): boolean {
    return this.classifiers.length > 0;
  }

  /** Every rule and classifier over a whole answer. */
  async check(text: string): Promise<FilterVerdict> {
    const ruled = this.checkRules(text);
    if (ruled.blocked) return ruled;
    return this.classify(text);
  }

  /** The classifiers alone, in order; the first that blocks gives the verdict. */
  async classify(text: string): Promise<FilterVerdict> {
    for (const classifier of this.classifiers) {
      const verdict = await classifier.classify(text);
      if (verdict.blocked)
        return {
          blocked: true,
          rule: `classifier:${classifier.name}${verdict.reason ? `:${verdict.reason}` : ''}`,
        };
    }
    return { blocked: false };
  }
}
