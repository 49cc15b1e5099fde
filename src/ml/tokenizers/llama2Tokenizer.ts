import type { LlamaTokenizer as LlamaPackage } from 'llama-tokenizer-js';
import { offsetsFromByteLengths } from './byteOffsets.js';
import type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from './tokenizer.js';

const utf8 = new TextEncoder();
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;
const SPECIAL = /<s>|<\/s>|<unk>/g;
const SPECIAL_IDS: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };

/**
 * The LLaMA 2 SentencePiece tokenizer (vocabulary 32000) from `llama-tokenizer-js`, which ships the
 * vocabulary. It behaves like Hugging Face's `LlamaTokenizer` with legacy=True: a "▁" is prepended to the
 * text and after every special token, and `<s>`, `</s>`, `<unk>` written in the text are the special tokens.
 * LLaMA 2 has no pad token: padId is `<unk>` (0), a common choice for fine-tuning it. Create it with
 * `await Llama2Tokenizer.load()`, which imports the package (and its vocabulary) on first use.
 */
export class Llama2Tokenizer implements Tokenizer {
  readonly kind = 'llama2' as const;
  readonly vocabSize: number;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly padId = 0;
  readonly bosToken = '<s>';
  readonly eosToken = '</s>';
  readonly stopIds: readonly number[] = [2];

  private constructor(
    private readonly impl: LlamaPackage,
    readonly chatTemplate?: string,
  ) {
    this.vocabSize = impl.vocabById.length;
  }

  static async load(chatTemplate?: string): Promise<Llama2Tokenizer> {
    const { default: impl } = await import('llama-tokenizer-js');
    return new Llama2Tokenizer(impl, chatTemplate);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.encodeWithOffsets(text, options).ids;
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const offsets: Array<readonly [number, number]> = [];
    if (options.addBos === true) {
      ids.push(this.bosId);
      offsets.push([0, 0]);
    }
    let last = 0;
    for (const m of text.matchAll(SPECIAL)) {
      this.encodeSection(text.slice(last, m.index), last, ids, offsets);
      ids.push(SPECIAL_IDS[m[0]]);
      offsets.push([m.index, m.index + m[0].length]);
      last = m.index + m[0].length;
    }
    this.encodeSection(text.slice(last), last, ids, offsets);
    if (options.addEos === true) {
      ids.push(this.eosId);
      offsets.push([text.length, text.length]);
    }
    return { ids, offsets };
  }

  private encodeSection(
    text: string,
    base: number,
    ids: number[],
    offsets: Array<readonly [number, number]>,
  ): void {
    if (text.length === 0) return;
    const sectionIds = this.impl.encode(text, false, true, false);
    // The package prepends one space ("▁") to the text; it counts as one byte in front of the section.
    const lengths = sectionIds.map((id) => this.tokenBytes(id).length);
    // Loops, not push(...spread): a long text has more tokens than the call stack takes arguments.
    for (const id of sectionIds) ids.push(id);
    for (const span of offsetsFromByteLengths(text, lengths, 1, base)) offsets.push(span);
  }

  private tokenBytes(id: number): Uint8Array | number[] {
    const token = this.impl.vocabById[id];
    if (token === undefined)
      throw new Error(`tokenizer: id ${id} is outside the LLaMA 2 vocabulary (0-31999)`);
    const byteMatch = BYTE_TOKEN.exec(token);
    if (byteMatch !== null) return [parseInt(byteMatch[1], 16)];
    return utf8.encode(token.replaceAll('▁', ' '));
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (this.isSpecial(id)) {
        if (options.skipSpecialTokens !== true) bytes.push(...utf8.encode(this.impl.vocabById[id]));
        continue;
      }
      const tokenBytes = this.tokenBytes(id);
      // Like Hugging Face's decoder (Strip left 1): only the space SentencePiece put before the whole text goes.
      bytes.push(...(bytes.length === 0 && tokenBytes[0] === 0x20 ? tokenBytes.slice(1) : tokenBytes));
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  idToToken(id: number): string | undefined {
    return this.impl.vocabById[id];
  }

  tokenToId(token: string): number | undefined {
    return this.impl.vocabByString.get(token);
  }

  isSpecial(id: number): boolean {
    return id >= 0 && id <= 2;
  }
}
