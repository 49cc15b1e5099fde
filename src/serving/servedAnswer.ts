import type express from 'express';
import type { GenerationOutput } from './generationProtocol.js';
import type { OutputFilter } from './outputFilter.js';

export type Endpoint = 'chat' | 'completions';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export const usageOf = (output: GenerationOutput): Usage => ({
  prompt_tokens: output.promptTokens,
  completion_tokens: output.completionTokens,
  total_tokens: output.promptTokens + output.completionTokens,
});

/** The OpenAI response shapes of one answer: a chunk per streamed delta, or one body. */
export class AnswerShape {
  readonly responseId: string;
  readonly created = Math.floor(Date.now() / 1000);

  constructor(
    readonly endpoint: Endpoint,
    interactionId: string,
    readonly deployment: string,
    /** The served model's key, OpenAI's `system_fingerprint`. */
    readonly fingerprint: string,
  ) {
    this.responseId = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${interactionId}`;
  }

  chunk(delta: { role?: string; content?: string }, finishReason: string | null, extra: object = {}): object {
    const { responseId: id, created, deployment: model } = this;
    return this.endpoint === 'chat'
      ? {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
          ...extra,
        }
      : {
          id,
          object: 'text_completion',
          created,
          model,
          choices: [{ index: 0, text: delta.content ?? '', finish_reason: finishReason, logprobs: null }],
          ...extra,
        };
  }

  body(text: string, finishReason: string, usage: Usage): object {
    const { responseId: id, created, deployment: model, fingerprint: system_fingerprint } = this;
    return this.endpoint === 'chat'
      ? {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: text, refusal: null },
              finish_reason: finishReason,
              logprobs: null,
            },
          ],
          usage,
          system_fingerprint,
        }
      : {
          id,
          object: 'text_completion',
          created,
          model,
          choices: [{ index: 0, text, finish_reason: finishReason, logprobs: null }],
          usage,
          system_fingerprint,
        };
  }
}

/** What the client got in the end, after the output filter. */
export interface FilteredAnswer {
  readonly text: string;
  readonly finishReason: string;
  /** The filter rule that blocked the answer, if one did. */
  readonly blockedRule: string | undefined;
  /** All the client was shown: what streamed before a block, then the refusal. */
  readonly shownText: string;
}

/**
 * One answer on its way to the client through the output filter. Streamed text goes out in three steps:
 * `pending` (held back: a blocklisted word may still be growing into it), `unjudged` (past the rules,
 * waiting for the classifiers, if any) and `sent`. A stream's headers go out with its first text, not
 * before: a prompt the model refuses (too long for its context) must still be answerable with a 400.
 */
export class AnswerStream {
  private sent = '';
  private pending = '';
  private unjudged = '';
  private judging: Promise<void> | undefined;
  private judgeError: unknown;
  private blockedRule: string | undefined;
  private started = false;

  constructor(
    private readonly res: express.Response,
    private readonly shape: AnswerShape,
    private readonly filter: OutputFilter,
    private readonly interactionId: string,
    /** Stops the generation: called when the filter blocks the answer. */
    private readonly cancel: () => void,
  ) {}

  /** Whether any of the answer went out (the status and headers with it). */
  get streamStarted(): boolean {
    return this.started;
  }

  /** Takes the model's next text; what passes the filter is streamed. */
  readonly onDelta = (text: string): void => {
    if (this.blockedRule || this.judgeError) return;
    this.pending += text;
    const verdict = this.filter.checkRules(this.sent + this.unjudged + this.pending);
    if (verdict.blocked) return this.block(verdict.rule);
    // Hold back the tail a blocklisted word could still be growing into.
    const release = this.pending.length - this.filter.holdBack;
    if (release <= 0) return;
    const out = this.pending.slice(0, release);
    this.pending = this.pending.slice(release);
    if (!this.filter.hasClassifiers) return this.send(out);
    // One classifier call at a time; what arrives meanwhile is judged with the next one.
    this.unjudged += out;
    this.judging ??= this.judge().finally(() => (this.judging = undefined));
  };

  /** The final answer, judged whole by the filter once generation ended. */
  async settle(output: GenerationOutput): Promise<FilteredAnswer> {
    await this.judging;
    if (this.judgeError) throw this.judgeError;
    if (!this.blockedRule) {
      const verdict = await this.filter.check(output.text);
      if (verdict.blocked) this.blockedRule = verdict.rule ?? 'filter';
    }
    const { refusal } = this.filter;
    if (this.blockedRule)
      return {
        text: refusal,
        finishReason: 'content_filter',
        blockedRule: this.blockedRule,
        shownText: this.sent ? `${this.sent}\n${refusal}` : refusal,
      };
    const finishReason = output.finishReason === 'cancelled' ? 'stop' : output.finishReason;
    return { text: output.text, finishReason, blockedRule: undefined, shownText: output.text };
  }

  /** Sends what the stream has not shown yet, the finish reason, the usage if asked, and [DONE]. */
  end(answer: FilteredAnswer, usage: Usage | undefined): void {
    const rest = answer.blockedRule
      ? answer.shownText.slice(this.sent.length)
      : answer.text.startsWith(this.sent)
        ? answer.text.slice(this.sent.length)
        : '';
    if (rest) this.write(this.shape.chunk({ content: rest }, null));
    this.write(this.shape.chunk({}, answer.finishReason));
    if (usage) this.write({ ...this.shape.chunk({}, null), choices: [], usage });
    this.res.write('data: [DONE]\n\n');
    this.res.end();
  }

  /** Sends one event (an error, say) on the stream, starting it if need be. */
  write(payload: unknown): boolean {
    this.start();
    return this.res.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    const { res } = this;
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-interaction-id', this.interactionId);
    res.flushHeaders();
    if (this.shape.endpoint === 'chat')
      res.write(`data: ${JSON.stringify(this.shape.chunk({ role: 'assistant', content: '' }, null))}\n\n`);
  }

  private send(out: string): void {
    this.sent += out;
    this.write(this.shape.chunk({ content: out }, null));
  }

  private block(rule: string | undefined): void {
    this.blockedRule = rule ?? 'filter';
    this.cancel();
  }

  private async judge(): Promise<void> {
    try {
      while (this.unjudged && !this.blockedRule) {
        const out = this.unjudged;
        this.unjudged = '';
        const verdict = await this.filter.classify(this.sent + out);
        if (this.blockedRule) return;
        if (verdict.blocked) return this.block(verdict.rule);
        this.send(out);
      }
    } catch (error) {
      this.judgeError = error;
      this.cancel();
    }
  }
}
