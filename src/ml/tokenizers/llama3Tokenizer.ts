import type { Llama3Tokenizer as Llama3Package } from 'llama3-tokenizer-js';
import { byteLevelTokenBytes } from './byteLevelAlphabet.js';
import { offsetsFromByteLengths } from './byteOffsets.js';
import type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from './tokenizer.js';

const FIRST_SPECIAL_ID = 128000;

/**
 * The Llama 3 / 3.1 tokenizer (byte-level BPE, 128256 ids) from `llama3-tokenizer-js`, which ships the
 * vocabulary. Special tokens written in the text (`<|eot_id|>`, `<|start_header_id|>`...) are parsed as
 * special tokens, as the Hugging Face tokenizer does. BOS is `<|begin_of_text|>`, EOS `<|end_of_text|>`;
 * generation also stops at `<|eot_id|>` and `<|eom_id|>` (instruct models end turns with them). Pad is
 * `<|finetune_right_pad_id|>`. Create it with `await Llama3Tokenizer.load()`: the package takes a second or two
 * to unpack its vocabulary, paid only by those who use it.
 */
export class Llama3Tokenizer implements Tokenizer {
  readonly kind = 'llama3' as const;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly bosToken = '<|begin_of_text|>';
  readonly eosToken = '<|end_of_text|>';
  readonly stopIds: readonly number[];

  private constructor(
    private readonly impl: Llama3Package,
    readonly chatTemplate?: string,
  ) {
    this.vocabSize = impl.vocabById.length;
    this.bosId = impl.getSpecialTokenId('<|begin_of_text|>');
    this.eosId = impl.getSpecialTokenId('<|end_of_text|>');
    this.padId = impl.getSpecialTokenId('<|finetune_right_pad_id|>');
    this.stopIds = [this.eosId, impl.getSpecialTokenId('<|eot_id|>'), impl.getSpecialTokenId('<|eom_id|>')];
  }

  static async load(chatTemplate?: string): Promise<Llama3Tokenizer> {
    const { default: impl } = await import('llama3-tokenizer-js');
    return new Llama3Tokenizer(impl, chatTemplate);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.impl.encode(text, { bos: options.addBos === true, eos: options.addEos === true });
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): Encoding {
    const core = this.impl.encode(text, { bos: false, eos: false });
    const offsets = offsetsFromByteLengths(
      text,
      core.map((id) => this.tokenBytes(id).length),
    );
    const ids = [...core];
    if (options.addBos === true) {
      ids.unshift(this.bosId);
      offsets.unshift([0, 0]);
    }
    if (options.addEos === true) {
      ids.push(this.eosId);
      offsets.push([text.length, text.length]);
    }
    return { ids, offsets };
  }

  private tokenBytes(id: number): number[] {
    const token = this.impl.vocabById[id];
    if (token === undefined)
      throw new Error(`tokenizer: id ${id} is outside the Llama 3 vocabulary (0-128255)`);
    if (id >= FIRST_SPECIAL_ID) return [...new TextEncoder().encode(token)];
    const bytes = byteLevelTokenBytes(token);
    if (bytes === undefined)
      throw new Error(`tokenizer: Llama 3 token ${id} "${token}" is not byte-level text`);
    return bytes;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const kept = options.skipSpecialTokens === true ? ids.filter((id) => !this.isSpecial(id)) : ids;
    const bytes = kept.flatMap((id) => this.tokenBytes(id));
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  idToToken(id: number): string | undefined {
    return this.impl.vocabById[id];
  }

  tokenToId(token: string): number | undefined {
    return this.impl.vocabByString.get(token);
  }

  isSpecial(id: number): boolean {
    return id >= FIRST_SPECIAL_ID;
  }
}
